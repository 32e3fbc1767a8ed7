package dev.kasoku.cacheedge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.cacheedge.testing.EdgeHarness;
import dev.kasoku.cacheedge.testing.EdgeHarness.Resp;
import dev.kasoku.cacheedge.testing.TestOrigin;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Bad input and attacks: each is refused, or cannot poison the cache, or cannot cross tenants. */
class AttacksTest {
  private EdgeHarness h;
  private TestOrigin origin;

  @BeforeEach
  void setUp() {
    h = new EdgeHarness();
    origin = h.origin().handle(req -> req.response().putHeader("Cache-Control", "max-age=60")
        .end("uri=" + req.uri() + " xfh=" + req.getHeader("X-Forwarded-Host") + " m=" + req.method()
            + " ovr=" + req.getHeader("X-HTTP-Method-Override")));
    h.site("a.example.com", origin, null);
  }

  @AfterEach
  void tearDown() {
    h.close();
  }

  /** Sends raw bytes and returns what the edge answered before closing or going quiet. */
  private String raw(String request) {
    return h.raw(request, false, 1500);
  }

  @Test
  void unknownHostIs421AndTheOriginIsNeverContacted() {
    Resp r = h.get("nobody.example.net", "/");
    assertThat(r.status()).isEqualTo(421);
    assertThat(origin.count()).isZero();
  }

  @Test
  void malformedRequestLineIs400() {
    assertThat(raw("GARBAGE\r\n\r\n")).matches("(?s)HTTP/1.[01] 400.*");
    assertThat(origin.count()).isZero();
  }

  @Test
  void theBodyBehindARefusedTargetIsNeverReadAndTheConnectionCloses() {
    String hidden = "GET /hidden HTTP/1.1\r\nHost: a.example.com\r\n\r\n";
    String answer = raw("POST ftp://a.example.com/x HTTP/1.1\r\nHost: a.example.com\r\nContent-Length: "
        + hidden.length() + "\r\n\r\n" + hidden);
    assertThat(answer).startsWith("HTTP/1.1 400").contains("bad scheme in request-target")
        .containsIgnoringCase("Connection: close");
    assertThat(answer.split("HTTP/1\\.1 ", -1)).as("one answer, the body never parsed as a request: " + answer)
        .hasSize(2);
    assertThat(origin.count()).isZero();
  }

  @Test
  void uriOverTheLimitIs414() {
    Resp r = h.get("a.example.com", "/" + "a".repeat(9000));
    assertThat(r.status()).isEqualTo(414);
    assertThat(origin.count()).isZero();
  }

  @Test
  void headerSectionOverTheLimitIs431() {
    Resp r = h.get("a.example.com", "/", "X-Big", "b".repeat(20_000));
    assertThat(r.status()).isEqualTo(431);
    assertThat(origin.count()).isZero();
  }

  /**
   * CL.TE smuggling: a request with both Content-Length and Transfer-Encoding is refused with 400 and
   * the connection closed, so neither it nor the bytes glued after it reach the origin. Regression:
   * Netty drops the Content-Length and reads such a request as chunked (RFC 9112 §6.1), so the edge
   * used to forward it.
   */
  @Test
  void contentLengthWithTransferEncodingIsRefusedAndNeverForwarded() {
    String smuggle = "POST /form HTTP/1.1\r\nHost: a.example.com\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a.example.com\r\n\r\n";
    String answer = raw(smuggle);

    assertThat(answer).startsWith("HTTP/1.1 400");
    assertThat(answer).doesNotContain("uri=/smuggled");
    assertThat(origin.count()).isZero();
  }

  /** TE.CL order (Transfer-Encoding first) is the same attack from the other side; also refused. */
  @Test
  void transferEncodingBeforeContentLengthIsRefused() {
    String answer = raw("POST /form HTTP/1.1\r\nHost: a.example.com\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"
        + "8\r\nSMUGGLED\r\n0\r\n\r\n");
    assertThat(answer).startsWith("HTTP/1.1 400");
    assertThat(origin.count()).isZero();
  }

  /** The strict decoder does not get in the way of an honest chunked request on a kept-alive connection. */
  @Test
  void plainChunkedRequestsStillReachTheOrigin() {
    String answer = raw("POST /form HTTP/1.1\r\nHost: a.example.com\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "3\r\nabc\r\n0\r\n\r\nGET /next HTTP/1.1\r\nHost: a.example.com\r\nConnection: close\r\n\r\n");
    assertThat(answer).startsWith("HTTP/1.1 200").contains("uri=/form ").contains("uri=/next ");
    assertThat(origin.seen()).anySatisfy(s -> {
      assertThat(s.method()).isEqualTo("POST");
      assertThat(s.bodyBytes()).isEqualTo(3);
    });
  }

  @Test
  void obfuscatedTransferEncodingIsRefused() {
    String answer = raw("POST / HTTP/1.1\r\nHost: a.example.com\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n");
    assertThat(answer).startsWith("HTTP/1.1 400");
    assertThat(origin.count()).isZero();
  }

  @Test
  void duplicateContentLengthIsRefused() {
    String answer = raw("POST / HTTP/1.1\r\nHost: a.example.com\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab");
    assertThat(answer).startsWith("HTTP/1.1 400");
    assertThat(origin.count()).isZero();
  }

  @Test
  void xForwardedHostCannotPoisonTheCache() {
    Resp evil = h.get("a.example.com", "/page", "X-Forwarded-Host", "evil.example");
    Resp victim = h.get("a.example.com", "/page");
    assertThat(evil.text()).contains("xfh=null");
    assertThat(victim.text()).doesNotContain("evil");
  }

  @Test
  void methodOverrideHeadersAreDropped() {
    Resp r = h.get("a.example.com", "/mo", "X-HTTP-Method-Override", "DELETE");
    assertThat(r.text()).contains("m=GET").contains("ovr=null");
  }

  @Test
  void theForwardedRequestIsTheCanonicalOneThatWasKeyed() {
    Resp cloaked = h.get("a.example.com", "/p?b=2&a=1");
    Resp plain = h.get("a.example.com", "/p?a=1&b=2");
    assertThat(origin.count()).isEqualTo(1);
    assertThat(cloaked.text()).isEqualTo(plain.text());
    assertThat(cloaked.text()).startsWith("uri=/p?a=1&b=2 ");
  }

  @Test
  void semicolonParamsAndEncodedVariantsKeyAndForwardAlike() {
    h.get("a.example.com", "/q?utm=1;callback=evil");
    String forwarded = origin.last().uri();
    Resp again = h.get("a.example.com", "/q?utm=1;callback=evil");
    assertThat(again.cacheStatus()).startsWith("Kasoku; hit");
    assertThat(again.text()).isEqualTo("uri=" + forwarded + " xfh=null m=GET ovr=null");
    h.get("a.example.com", "/%7Euser/x");
    h.get("a.example.com", "/~user/x");
    assertThat(origin.count()).isEqualTo(2);
  }

  @Test
  void tenantsNeverShareAKey() {
    TestOrigin other = h.origin().respond(200, "other-tenant", "Cache-Control", "max-age=60");
    h.site("tenant-b", "site", "b.example.com", "[{\"url\":\"" + other.url() + "\"}]", null);
    h.get("a.example.com", "/same");
    Resp b = h.get("b.example.com", "/same");
    assertThat(b.text()).isEqualTo("other-tenant");
    assertThat(other.count()).isEqualTo(1);
  }

  @Test
  void setCookieResponsesAreNotShared() {
    origin.respond(200, "session", "Cache-Control", "max-age=60", "Set-Cookie", "sid=secret");
    h.get("a.example.com", "/login");
    Resp second = h.get("a.example.com", "/login");
    assertThat(second.cacheStatus()).doesNotContain("hit");
    assertThat(origin.count()).isEqualTo(2);
  }

  @Test
  void getWithABodyIsPassedNeverCached() {
    Resp withBody = h.send(HttpMethod.GET, "a.example.com", "/gb", Buffer.buffer("body"));
    Resp plain = h.get("a.example.com", "/gb");
    assertThat(withBody.cacheStatus()).contains("fwd=bypass").contains("request-body");
    assertThat(plain.cacheStatus()).contains("fwd=uri-miss");
    assertThat(origin.count()).isEqualTo(2);
  }

  @Test
  void errorStatusesWithoutExplicitFreshnessAreNotCached() {
    origin.respond(400, "bad");
    h.get("a.example.com", "/cpdos", "X-Oversized", "x");
    origin.respond(200, "fine", "Cache-Control", "max-age=60");
    Resp r = h.get("a.example.com", "/cpdos");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.text()).isEqualTo("fine");
  }

  @Test
  void synthesisedErrorsAreShortTextAndNotCacheable() {
    Resp r = h.get("nobody.example.net", "/");
    assertThat(r.header("Content-Type")).startsWith("text/plain");
    assertThat(r.header("Cache-Control")).isEqualTo("no-store");
    assertThat(r.cacheStatus()).startsWith("Kasoku;");
  }
}
