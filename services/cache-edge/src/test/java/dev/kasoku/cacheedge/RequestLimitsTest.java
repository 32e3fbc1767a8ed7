package dev.kasoku.cacheedge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.cacheedge.testing.EdgeHarness;
import dev.kasoku.cacheedge.testing.EdgeHarness.Resp;
import dev.kasoku.cacheedge.testing.TestOrigin;
import dev.kasoku.common.site.SiteConfig;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Requests the edge refuses itself: bodies over the site's limit, TRACE and CONNECT. */
class RequestLimitsTest {
  private static final String HOST = "a.example.com";
  private EdgeHarness h;
  private TestOrigin origin;

  @BeforeEach
  void setUp() {
    h = new EdgeHarness();
    origin = h.origin().respond(200, "ok");
    h.site(HOST, origin, "\"maxRequestBody\":\"1k\"");
  }

  @AfterEach
  void tearDown() {
    h.close();
  }

  private static String chunked(String path, int... chunkSizes) {
    StringBuilder sb = new StringBuilder("POST " + path + " HTTP/1.1\r\nHost: " + HOST
        + "\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int n : chunkSizes) {
      sb.append(Integer.toHexString(n)).append("\r\n").append("b".repeat(n)).append("\r\n");
    }
    return sb.append("0\r\n\r\n").toString();
  }

  /** Regression: a body of any size, even on a GET, was streamed to the origin. */
  @Test
  void aBodyDeclaredLargerThanTheSiteLimitIs413AndNeverForwarded() {
    Resp post = h.send(HttpMethod.POST, HOST, "/upload", Buffer.buffer("x".repeat(1025)));
    Resp get = h.send(HttpMethod.GET, HOST, "/search", Buffer.buffer("x".repeat(5000)));

    assertThat(post.status()).isEqualTo(413);
    assertThat(get.status()).isEqualTo(413);
    assertThat(origin.count()).isZero();
  }

  @Test
  void aBodyWithinTheLimitIsForwardedWhole() {
    assertThat(h.send(HttpMethod.POST, HOST, "/upload", Buffer.buffer("x".repeat(1024))).status()).isEqualTo(200);
    assertThat(origin.last().bodyBytes()).isEqualTo(1024);
    assertThat(h.raw(chunked("/chunks", 500, 500), false, 1500)).startsWith("HTTP/1.1 200");
    assertThat(origin.last().bodyBytes()).isEqualTo(1000);
  }

  /**
   * A chunked body declares no length, so it crosses the limit while it is being forwarded: the
   * client gets 413 and the origin's connection is closed before the last chunk, so the origin never
   * receives a truncated body framed as a complete request.
   */
  @Test
  void aChunkedBodyCrossingTheLimitMidStreamIs413AndTheOriginNeverGetsItWhole() throws InterruptedException {
    String answer = h.raw(chunked("/chunks", 600, 600, 600), false, 1500);

    assertThat(answer).startsWith("HTTP/1.1 413").contains("request body too large");
    long deadline = System.currentTimeMillis() + 3000;
    while (origin.seen().size() < origin.count() && System.currentTimeMillis() < deadline) {
      Thread.sleep(20);
    }
    assertThat(origin.seen()).allSatisfy(s -> assertThat(s.bodyBytes()).as("a complete body").isEqualTo(-1));
  }

  @Test
  void theDefaultLimitIsDocumentedAsOneHundredMebibytes() {
    assertThat(SiteConfig.DEFAULT_MAX_REQUEST_BODY).isEqualTo(100L << 20);
    assertThat(SiteConfig.parse("{\"hostnames\":[\"a.example.com\"],\"origins\":[{\"url\":\"http://o.example\"}]}")
        .maxRequestBodyBytes()).isEqualTo(100L << 20);
  }

  /** Regression: TRACE was forwarded to origins (and its echo could carry the client's credentials). */
  @Test
  void traceAndConnectAre405AndNeverForwarded() {
    Resp trace = h.send(HttpMethod.TRACE, HOST, "/", null, "Cookie", "session=1");
    String connect = h.raw("CONNECT " + HOST + ":443 HTTP/1.1\r\nHost: " + HOST + ":443\r\n\r\n", false, 1000);

    assertThat(trace.status()).isEqualTo(405);
    assertThat(trace.header("Allow")).isEqualTo("GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS");
    assertThat(trace.text()).doesNotContain("session");
    assertThat(connect).startsWith("HTTP/1.1 405");
    assertThat(origin.count()).isZero();
  }
}
