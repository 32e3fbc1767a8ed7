package dev.kasoku.cacheedge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.cacheedge.testing.EdgeHarness;
import dev.kasoku.cacheedge.testing.EdgeHarness.Resp;
import dev.kasoku.cacheedge.testing.TestOrigin;
import dev.kasoku.common.testing.Await;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The edge's own origin client: keep-alive reuse and its races, the read timeout per exchange on a
 * reused connection, HEAD and interim responses, malformed responses. Origins that must misbehave
 * are raw TCP servers speaking just enough HTTP/1.1.
 */
class OriginConnectionsTest {
  private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nCache-Control: no-store\r\n\r\nok";

  private EdgeHarness h;
  private NetServer raw;

  @AfterEach
  void tearDown() {
    if (raw != null) {
      Await.result(raw.close());
    }
    h.close();
  }

  /**
   * A raw origin: {@code onRequest} gets the connection's number (from 1) and the request's number
   * on that connection (from 1) for each request head received, and answers (or not) itself.
   */
  private int rawOrigin(BiConsumer<NetSocket, int[]> onRequest, List<String> heads) {
    AtomicInteger connections = new AtomicInteger();
    raw = h.vertx.createNetServer().connectHandler(s -> {
      int conn = connections.incrementAndGet();
      int[] n = {0};
      StringBuilder pending = new StringBuilder();
      s.handler(b -> {
        pending.append(b.toString());
        int end;
        while ((end = pending.indexOf("\r\n\r\n")) >= 0) { // heads only: these tests send no bodies
          heads.add(pending.substring(0, end));
          pending.delete(0, end + 4);
          n[0]++;
          onRequest.accept(s, new int[] {conn, n[0]});
        }
      });
    });
    Await.result(raw.listen(0, "127.0.0.1"));
    return raw.actualPort();
  }

  private void site(int port) {
    h.site("site", "o.example.com", "[{\"url\":\"http://127.0.0.1:" + port + "\"}]", null);
  }

  /**
   * The keep-alive race: the origin closes an idle connection just as the edge reuses it. A GET
   * that got no byte of a response is sent again on a new connection (RFC 9110 §9.2.2), so the
   * client never sees the race.
   */
  @Test
  void idempotentRequestOnAConnectionTheOriginJustClosedIsSentAgain() {
    h = new EdgeHarness();
    List<String> heads = new CopyOnWriteArrayList<>();
    Set<Integer> conns = ConcurrentHashMap.newKeySet();
    site(rawOrigin((s, cr) -> {
      conns.add(cr[0]);
      if (cr[0] == 1 && cr[1] == 2) {
        s.close(); // the second request on the first connection: closed unanswered
      } else {
        s.write(OK);
      }
    }, heads));

    assertThat(h.get("o.example.com", "/a").status()).isEqualTo(200);
    Resp second = h.get("o.example.com", "/b");

    assertThat(second.status()).isEqualTo(200);
    assertThat(second.text()).isEqualTo("ok");
    assertThat(conns).containsExactlyInAnyOrder(1, 2);
    assertThat(heads).hasSize(3);
  }

  /** A POST is never sent twice: the same race gives the client a 502 and the origin one POST. */
  @Test
  void nonIdempotentRequestIsNotSentAgain() {
    h = new EdgeHarness();
    List<String> heads = new CopyOnWriteArrayList<>();
    site(rawOrigin((s, cr) -> {
      if (cr[0] == 1 && cr[1] == 2) {
        s.close();
      } else {
        s.write(OK);
      }
    }, heads));

    assertThat(h.get("o.example.com", "/a").status()).isEqualTo(200);
    Resp post = h.send(HttpMethod.POST, "o.example.com", "/submit", null, "Content-Length", "0");

    assertThat(post.status()).isEqualTo(502);
    assertThat(heads.stream().filter(x -> x.startsWith("POST")).count()).isEqualTo(1);
  }

  /**
   * The read timeout is armed afresh for each exchange on a reused connection: a stalled second
   * exchange on the connection of a quick first one gives 504 in about the timeout.
   */
  @Test
  void readTimeoutAppliesToEachExchangeOnAReusedConnection() {
    h = new EdgeHarness(s -> s.withTimeouts(2000, 1000, 400));
    List<String> heads = new CopyOnWriteArrayList<>();
    site(rawOrigin((s, cr) -> {
      if (cr[1] == 1) {
        s.write(OK);
      } // the second request on a connection is never answered
    }, heads));

    assertThat(h.get("o.example.com", "/a").status()).isEqualTo(200);
    long start = System.nanoTime();
    Resp stalled = h.get("o.example.com", "/b");
    long tookMs = (System.nanoTime() - start) / 1_000_000;

    assertThat(stalled.status()).isEqualTo(504);
    assertThat(tookMs).isBetween(300L, 3000L);
    assertThat(heads).hasSize(2); // a timed-out request is not sent again
  }

  /**
   * Time a connection spent idle in the pool does not count against its next exchange: after
   * sitting idle for longer than the read timeout, a connection serves a response that takes most
   * of the timeout.
   */
  @Test
  void idleTimeInThePoolDoesNotCountAgainstTheNextExchange() throws Exception {
    h = new EdgeHarness(s -> s.withTimeouts(2000, 1000, 600));
    Set<Integer> conns = ConcurrentHashMap.newKeySet();
    site(rawOrigin((s, cr) -> {
      conns.add(cr[0]);
      if (cr[1] == 1) {
        s.write(OK);
      } else {
        h.vertx.setTimer(350, t -> s.write(OK));
      }
    }, new CopyOnWriteArrayList<>()));

    assertThat(h.get("o.example.com", "/a").status()).isEqualTo(200);
    Thread.sleep(900);
    assertThat(h.get("o.example.com", "/b").status()).isEqualTo(200);
    assertThat(conns).containsExactly(1);
  }

  /**
   * A HEAD response carries the Content-Length of the GET but no body: the connection must not wait
   * for those bytes, and is reused for the next request.
   */
  @Test
  void headResponseWithContentLengthLeavesTheConnectionReusable() {
    h = new EdgeHarness();
    Set<Integer> ports = ConcurrentHashMap.newKeySet();
    TestOrigin o = h.origin().handle(req -> {
      ports.add(req.connection().remoteAddress().port());
      req.response().putHeader("Cache-Control", "no-store").putHeader("Content-Length", "10");
      if (req.method() == HttpMethod.HEAD) {
        req.response().end(); // the length a GET would have, and no body
      } else {
        req.response().end("0123456789");
      }
    });
    h.site("o.example.com", o, null);

    Resp head = h.send(HttpMethod.HEAD, "o.example.com", "/doc", null);
    Resp get = h.get("o.example.com", "/doc");

    assertThat(head.status()).isEqualTo(200);
    assertThat(head.header("Content-Length")).isEqualTo("10");
    assertThat(head.body().length()).isZero();
    assertThat(get.status()).isEqualTo(200);
    assertThat(get.text()).isEqualTo("0123456789");
    assertThat(ports).hasSize(1);
  }

  /** 1xx interim responses (here 103 Early Hints) are read past; the client gets the final one. */
  @Test
  void interimResponsesAreSkipped() {
    h = new EdgeHarness();
    site(rawOrigin((s, cr) -> s.write("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n" + OK),
        new CopyOnWriteArrayList<>()));

    Resp r = h.get("o.example.com", "/p");

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.text()).isEqualTo("ok");
  }

  /** An origin that does not speak HTTP gets the client a 502, not a hang or a 500. */
  @Test
  void malformedResponseGives502() {
    h = new EdgeHarness();
    site(rawOrigin((s, cr) -> s.write("SSH-2.0-OpenSSH_9.6\r\n\r\n"), new CopyOnWriteArrayList<>()));

    assertThat(h.get("o.example.com", "/p").status()).isEqualTo(502);
  }

  /** An origin that answers {@code Connection: close} gets a new connection for the next request. */
  @Test
  void connectionTheOriginClosesIsNotReused() {
    h = new EdgeHarness();
    List<String> heads = new CopyOnWriteArrayList<>();
    Set<Integer> conns = ConcurrentHashMap.newKeySet();
    site(rawOrigin((s, cr) -> {
      conns.add(cr[0]);
      s.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nCache-Control: no-store\r\nConnection: close\r\n\r\nok");
      s.close();
    }, heads));

    assertThat(h.get("o.example.com", "/a").text()).isEqualTo("ok");
    assertThat(h.get("o.example.com", "/b").text()).isEqualTo("ok");
    assertThat(conns).containsExactlyInAnyOrder(1, 2);
    assertThat(heads).hasSize(2); // no request was lost and sent again
  }

  /** A large upload is streamed to the origin (with back-pressure) and arrives whole. */
  @Test
  void largeRequestBodyArrivesWhole() throws Exception {
    h = new EdgeHarness();
    byte[] body = randomBytes(8 << 20);
    AtomicReference<String> received = new AtomicReference<>();
    // a plain server (TestOrigin reads the body itself before its handler runs)
    HttpServer origin = h.vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
      received.set(sha256(b.getBytes()));
      req.response().end("stored");
    }));
    Await.result(origin.listen(0, "127.0.0.1"));
    site(origin.actualPort());

    Resp r = h.send(HttpMethod.PUT, "o.example.com", "/upload", Buffer.buffer(body));

    assertThat(r.status()).isEqualTo(200);
    assertThat(received.get()).isEqualTo(sha256(body));
  }

  /**
   * A client that stops reading holds the origin response back (the edge stops reading from the
   * origin instead of buffering), and the time it holds back does not count as the origin being
   * silent: paused for longer than the read timeout, it still gets every byte.
   */
  @Test
  void slowClientGetsALargePassThroughWholeAndItsPauseIsNotAnOriginTimeout() throws Exception {
    h = new EdgeHarness(s -> s.withTimeouts(2000, 1000, 800));
    byte[] body = randomBytes(32 << 20);
    TestOrigin o = h.origin().handle(req -> req.response().putHeader("Cache-Control", "no-store")
        .end(Buffer.buffer(body)));
    h.site("o.example.com", o, null);

    MessageDigest md = MessageDigest.getInstance("SHA-256");
    AtomicLong bytes = new AtomicLong();
    Promise<Integer> done = Promise.promise();
    h.client.request(HttpMethod.GET, h.port(), "127.0.0.1", "/big")
        .compose(req -> req.putHeader("Host", "o.example.com").send())
        .onSuccess(resp -> {
          resp.pause(); // hold back for longer than the read timeout
          resp.handler(b -> {
            bytes.addAndGet(b.length());
            md.update(b.getBytes());
          });
          resp.exceptionHandler(done::tryFail);
          resp.endHandler(v -> done.tryComplete(resp.statusCode()));
          h.vertx.setTimer(2000, t -> resp.resume());
        }).onFailure(done::tryFail);

    assertThat(Await.result(done.future())).isEqualTo(200);
    assertThat(bytes.get()).isEqualTo(body.length);
    assertThat(HexFormat.of().formatHex(md.digest())).isEqualTo(sha256(body));
  }

  /** Header values with bytes above 0x7F (UTF-8 file names, say) reach the client byte for byte. */
  @Test
  void nonAsciiHeaderValuesPassThroughUnchanged() {
    h = new EdgeHarness();
    site(rawOrigin((s, cr) -> s.write(Buffer.buffer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nCache-Control: no-store\r\n"
        + "Content-Disposition: attachment; filename=\"").appendBytes("\u00fc.txt".getBytes(java.nio.charset.StandardCharsets.UTF_8))
        .appendString("\"\r\n\r\nok")), new CopyOnWriteArrayList<>()));

    String raw = h.raw("GET /f HTTP/1.1\r\nHost: o.example.com\r\n\r\n", false, 1000);

    assertThat(raw).startsWith("HTTP/1.1 200").contains("filename=\"\u00fc.txt\""); // read back as UTF-8
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    new Random(n).nextBytes(b);
    return b;
  }

  private static String sha256(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
