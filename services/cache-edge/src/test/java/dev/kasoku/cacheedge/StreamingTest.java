package dev.kasoku.cacheedge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.cacheedge.testing.EdgeHarness;
import dev.kasoku.cacheedge.testing.EdgeHarness.Resp;
import dev.kasoku.cacheedge.testing.TestOrigin;
import dev.kasoku.common.testing.Await;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Bodies stream through the edge; big ones are not stored; fills survive their client and never store partial bodies. */
class StreamingTest {
  private EdgeHarness h;

  @AfterEach
  void tearDown() {
    h.close();
  }

  @Test
  void bodyReachesTheClientBeforeTheOriginHasFinishedSendingIt() {
    h = new EdgeHarness();
    Promise<Void> release = Promise.promise();
    TestOrigin origin = h.origin().handle(req -> {
      HttpServerResponse r = req.response().setChunked(true).putHeader("Cache-Control", "max-age=60");
      r.write("first-part;");
      release.future().onComplete(v -> r.end("second-part"));
    });
    h.site("s.example.com", origin, null);

    AtomicBoolean firstBeforeEnd = new AtomicBoolean();
    Buffer all = Buffer.buffer();
    Promise<Void> done = Promise.promise();
    h.client.request(HttpMethod.GET, h.port(), "127.0.0.1", "/stream")
        .compose(req -> req.putHeader("Host", "s.example.com").send())
        .onSuccess(resp -> {
          resp.handler(b -> {
            if (all.length() == 0 && !release.future().isComplete()) {
              firstBeforeEnd.set(true);
              release.tryComplete();
            }
            all.appendBuffer(b);
          });
          resp.endHandler(v -> done.complete());
        }).onFailure(done::fail);
    Await.result(done.future());

    assertThat(firstBeforeEnd).isTrue();
    assertThat(all.toString()).isEqualTo("first-part;second-part");
    assertThat(h.get("s.example.com", "/stream").cacheStatus()).startsWith("Kasoku; hit");
  }

  @Test
  void objectOverTheMaxSizeIsStreamedButNotStored() {
    h = new EdgeHarness(s -> s.withStorage(32L << 20, 64 * 1024, 32));
    byte[] big = new byte[300 * 1024];
    java.util.Arrays.fill(big, (byte) 'b');
    TestOrigin origin = h.origin().handle(req -> {
      HttpServerResponse r = req.response().setChunked(true).putHeader("Cache-Control", "max-age=60");
      for (int i = 0; i < 10; i++) {
        r.write(Buffer.buffer(java.util.Arrays.copyOfRange(big, i * big.length / 10, (i + 1) * big.length / 10)));
      }
      r.end();
    });
    h.site("s.example.com", origin, null);

    Resp first = h.get("s.example.com", "/big");
    Resp second = h.get("s.example.com", "/big");

    assertThat(first.body().length()).isEqualTo(big.length);
    assertThat(second.body().length()).isEqualTo(big.length);
    assertThat(origin.count()).isEqualTo(2);
    assertThat(h.edge.runtime().storage().stats().entries()).isZero();
  }

  @Test
  void rangeOnAMissOverTheMaxSizeIsPassedWithItsRange() {
    h = new EdgeHarness(s -> s.withStorage(32L << 20, 64 * 1024, 32));
    TestOrigin origin = h.origin().handle(req -> {
      if (req.getHeader("Range") != null) {
        req.response().setStatusCode(206).putHeader("Content-Range", "bytes 0-6/300000").end("partial");
      } else {
        req.response().putHeader("Cache-Control", "max-age=60").end(Buffer.buffer(new byte[300_000]));
      }
    });
    h.site("s.example.com", origin, null);

    Resp r = h.get("s.example.com", "/huge", "Range", "bytes=0-6");

    assertThat(r.status()).isEqualTo(206);
    assertThat(r.text()).isEqualTo("partial");
    assertThat(origin.last().headers().get("Range")).isEqualTo("bytes=0-6");
  }

  @Test
  void clientThatDisconnectsDoesNotAbortAFillOthersWaitOn() {
    h = new EdgeHarness();
    AtomicInteger served = new AtomicInteger();
    TestOrigin origin = h.origin().handle(req -> {
      served.incrementAndGet();
      HttpServerResponse r = req.response().setChunked(true).putHeader("Cache-Control", "max-age=60");
      r.write("part1;");
      h.vertx.setTimer(600, t -> r.end("part2"));
    });
    h.site("s.example.com", origin, null);

    // the leader's client reads the head and hangs up
    NetClient net = h.vertx.createNetClient();
    NetSocket sock = Await.result(net.connect(h.port(), "127.0.0.1"));
    Promise<Void> gotHead = Promise.promise();
    sock.handler(b -> gotHead.tryComplete());
    sock.write("GET /fill HTTP/1.1\r\nHost: s.example.com\r\n\r\n");
    Await.result(gotHead.future());
    Future<Resp> waiter = h.sendAsync(HttpMethod.GET, "s.example.com", "/fill", null);
    CollapsingTest.sleep(100);
    Await.result(sock.close());

    assertThat(Await.result(waiter).text()).isEqualTo("part1;part2");
    Resp after = h.get("s.example.com", "/fill");
    assertThat(after.text()).isEqualTo("part1;part2");
    assertThat(after.cacheStatus()).startsWith("Kasoku; hit");
    assertThat(served.get()).isEqualTo(1);
  }

  @Test
  void fillThatBreaksMidwayIsNotStored() {
    h = new EdgeHarness();
    TestOrigin origin = h.origin();
    origin.handle(req -> {
      if (origin.count() == 1) {
        HttpServerResponse r = req.response().putHeader("Cache-Control", "max-age=60").putHeader("Content-Length", "100");
        r.write("only-some-bytes");
        h.vertx.setTimer(100, t -> req.connection().close());
      } else {
        req.response().putHeader("Cache-Control", "max-age=60").end("complete");
      }
    });
    h.site("s.example.com", origin, null);

    Future<Resp> broken = h.sendAsync(HttpMethod.GET, "s.example.com", "/broken", null);
    assertThat(Await.failure(broken)).isNotNull();
    Resp next = h.get("s.example.com", "/broken");

    assertThat(next.text()).isEqualTo("complete");
    assertThat(origin.count()).isEqualTo(2);
  }

  static String ascii(Buffer b) {
    return new String(b.getBytes(), StandardCharsets.US_ASCII);
  }
}
