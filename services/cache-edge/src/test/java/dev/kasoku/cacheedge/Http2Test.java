package dev.kasoku.cacheedge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.cacheedge.testing.EdgeHarness;
import dev.kasoku.cacheedge.testing.TestOrigin;
import dev.kasoku.common.testing.Await;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * HTTP/2 on the edge's HTTPS listener (negotiated by ALPN), with stream limits and the rapid-reset
 * guard; the plain listener speaks HTTP/1.x only (see {@code StrictFraming}).
 */
class Http2Test {
  private EdgeHarness h;
  private HttpClient h2;
  private TestOrigin origin;

  @BeforeEach
  void setUp() {
    h = new EdgeHarness(s -> new EdgeSettings(s.instances(), s.bindAddress(), s.port(), s.memoryBytes(),
        s.maxObjectBytes(), s.maxVariants(), s.collapseWaitMs(), s.connectTimeoutMs(), s.readTimeoutMs(),
        s.originDownMs(), s.maxHeaderBytes(), s.maxUriBytes(), 100, 20, 30, s.siteRefreshMs(),
        s.allowedOriginNetworks(), s.trustedProxies(), s.nodeId()), true);
    origin = h.origin().respond(200, "over-h2", "Cache-Control", "max-age=60");
    h.site("h2.example.com", origin, null);
    h2 = h.vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
        .setSsl(true).setUseAlpn(true).setTrustAll(true).setVerifyHost(false), new PoolOptions().setHttp2MaxSize(1));
  }

  @AfterEach
  void tearDown() {
    h.close();
  }

  private RequestOptions get(String path) {
    return new RequestOptions().setMethod(HttpMethod.GET)
        .setServer(io.vertx.core.net.SocketAddress.inetSocketAddress(h.tlsPort(), "127.0.0.1"))
        .setHost("h2.example.com").setPort(h.tlsPort()).setURI(path);
  }

  @Test
  void h2ByAlpnIsServedWithBoundedConcurrentStreams() {
    var resp = Await.result(h2.request(get("/a")).compose(req -> req.send()
        .compose(r -> r.body().map(b -> new Object[] {r, b.toString()}))));
    String body = (String) resp[1];
    var r = (io.vertx.core.http.HttpClientResponse) resp[0];
    HttpConnection conn = r.request().connection();

    assertThat(r.version()).isEqualTo(HttpVersion.HTTP_2);
    assertThat(body).isEqualTo("over-h2");
    assertThat(conn.remoteSettings().getMaxConcurrentStreams()).isEqualTo(100);
  }

  @Test
  void rapidResetFloodClosesTheConnection() {
    var first = Await.result(h2.request(get("/warm")).compose(req -> req.send()
        .compose(r -> r.body().map(r))));
    HttpConnection conn = first.request().connection();
    Promise<Void> closed = Promise.promise();
    conn.closeHandler(v -> closed.tryComplete());

    List<Future<?>> resets = new ArrayList<>();
    for (int i = 0; i < 200 && !closed.future().isComplete(); i++) {
      resets.add(h2.request(get("/r" + i)).compose(req -> req.sendHead().compose(v -> req.reset()))
          .otherwiseEmpty());
    }
    Await.result(Future.join(resets).otherwiseEmpty());
    h.vertx.setTimer(5000, t -> closed.tryFail("connection still open after a reset flood"));

    assertThat(Await.result(closed.future().map(true).otherwise(false))).isTrue();
  }

  /** The strict HTTP/1.1 framing applies on the HTTPS listener too (HTTP/1.1 negotiated by ALPN). */
  @Test
  void contentLengthWithTransferEncodingIsRefusedOverTls() {
    String answer = rawTls("POST /form HTTP/1.1\r\nHost: h2.example.com\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h2.example.com\r\n\r\n");

    assertThat(answer).startsWith("HTTP/1.1 400").doesNotContain("over-h2");
    assertThat(origin.count()).isZero();
  }

  /**
   * Over TLS, {@code Host: name:443} is the same URL as {@code Host: name}: one cache key. Regression:
   * the edge normalised every Host as if the request came over plain HTTP, keeping ":443".
   */
  @Test
  void theHttpsDefaultPortIsDroppedFromTheKeyOverTls() {
    String first = rawTls("GET /port HTTP/1.1\r\nHost: h2.example.com:443\r\nConnection: close\r\n\r\n");
    String second = rawTls("GET /port HTTP/1.1\r\nHost: h2.example.com\r\nConnection: close\r\n\r\n");

    assertThat(first).startsWith("HTTP/1.1 200");
    assertThat(second).startsWith("HTTP/1.1 200").contains("Cache-Status: Kasoku; hit");
    assertThat(origin.count()).isEqualTo(1);
  }

  @Test
  void traceIsRefusedOverHttp2Too() {
    int status = Await.result(h2.request(get("/").setMethod(HttpMethod.TRACE))
        .compose(req -> req.send().compose(r -> r.body().map(b -> r.statusCode()))));

    assertThat(status).isEqualTo(405);
    assertThat(origin.count()).isZero();
  }

  /**
   * An HTTP/2 body declares no length when content-length is absent: it is forwarded, and cut off at
   * the limit as it flows. Regression: such a body was not forwarded at all (the edge only looked for
   * Content-Length or Transfer-Encoding), and so escaped the limit too.
   */
  @Test
  void anHttp2BodyWithoutContentLengthIsForwardedAndCutOffAtTheSiteLimit() throws InterruptedException {
    TestOrigin upload = h.origin().respond(200, "stored");
    h.site("up.example.com", upload, "\"maxRequestBody\":\"1k\"");
    RequestOptions post = get("/upload").setMethod(HttpMethod.POST).setHost("up.example.com");
    Await.result(h2.request(get("/cached")).compose(req -> req.send().compose(r -> r.body())));
    String second = Await.result(h2.request(get("/cached"))
        .compose(req -> req.send().compose(r -> r.body().map(b -> r.getHeader("Cache-Status")))));
    assertThat(second).as("a GET without a body is still a cacheable request").contains("hit");

    int small = Await.result(h2.request(post).compose(req -> {
      req.setChunked(true);
      req.write("a".repeat(600));
      return req.end("b".repeat(400)).compose(v -> req.response()).map(r -> r.statusCode());
    }));
    assertThat(small).isEqualTo(200);
    assertThat(upload.last().bodyBytes()).isEqualTo(1000);

    int status = Await.result(h2.request(post).compose(req -> {
      req.setChunked(true);
      req.write("a".repeat(600));
      req.write("b".repeat(600));
      return req.end("c".repeat(600)).compose(v -> req.response()).map(r -> r.statusCode());
    }));

    assertThat(status).isEqualTo(413);
    long deadline = System.currentTimeMillis() + 3000;
    while (upload.seen().size() < upload.count() && System.currentTimeMillis() < deadline) {
      Thread.sleep(20);
    }
    // one snapshot: the origin may still be recording the cut-off request while the test reads
    List<TestOrigin.Seen> seen = List.copyOf(upload.seen());
    assertThat(seen).hasSizeLessThanOrEqualTo(2);
    assertThat(seen.subList(1, seen.size()))
        .allSatisfy(s -> assertThat(s.bodyBytes()).as("a complete oversized body").isEqualTo(-1));
  }

  /** Sends raw bytes over TLS; the edge closes after the answer (Connection: close, or a refused request). */
  private String rawTls(String request) {
    return h.raw(request, true, 20_000);
  }
}
