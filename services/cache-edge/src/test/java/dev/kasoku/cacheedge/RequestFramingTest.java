package dev.kasoku.cacheedge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.cacheedge.testing.EdgeHarness;
import dev.kasoku.cacheedge.testing.RawOrigin;
import dev.kasoku.cacheedge.testing.TestOrigin;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Request framing on the plain HTTP/1.x listener: every ambiguous shape is refused with 400 and its
 * connection closed, and nothing sent behind it in the same packet reaches the origin, which
 * records the raw bytes it receives. Regression: Netty reads {@code Transfer-Encoding: identity}
 * (and {@code xchunked}, {@code chunked, identity}...) as "no body", so the request glued behind
 * was decoded as a second request; the edge refused the first with 400 but then forwarded the
 * second to the origin before closing.
 */
class RequestFramingTest {
  private static final String SMUGGLED = "GET /smuggled HTTP/1.1\r\nHost: a.example.com\r\n\r\n";

  private EdgeHarness h;
  private RawOrigin origin;

  @BeforeEach
  void setUp() {
    h = new EdgeHarness();
    origin = new RawOrigin(h.vertx);
    h.site("a-example-com", "a.example.com", "[{\"url\":\"" + origin.url() + "\"}]", null);
  }

  @AfterEach
  void tearDown() {
    origin.close();
    h.close();
  }

  /** Sends the head plus the smuggled request in one write; asserts one 400, a close, and a silent origin. */
  private String refusedWithNothingForwarded(String head) {
    long t0 = System.nanoTime();
    String answer = h.raw(head + SMUGGLED, false, 3000);
    long tookMs = (System.nanoTime() - t0) / 1_000_000;
    assertThat(answer).matches("(?s)HTTP/1\\.[01] 400 .*");
    assertThat(answer.split("HTTP/1\\.[01] ", -1)).as("exactly one response: " + answer).hasSize(2);
    assertThat(answer).containsIgnoringCase("Connection: close");
    assertThat(tookMs).as("the edge closed the connection (it did not wait for the client)").isLessThan(2500);
    assertThat(origin.received()).as("bytes the origin received").isEmpty();
    return answer;
  }

  @Test
  void transferEncodingIdentityIsRefusedAndTheRequestBehindItNeverReachesTheOrigin() {
    String answer = refusedWithNothingForwarded(
        "POST /form HTTP/1.1\r\nHost: a.example.com\r\nTransfer-Encoding: identity\r\n\r\n");
    assertThat(answer).contains("Transfer-Encoding other than chunked");
  }

  @Test
  void xchunkedWithContentLengthIsRefusedAndTheRequestBehindItNeverReachesTheOrigin() {
    refusedWithNothingForwarded("POST /form HTTP/1.1\r\nHost: a.example.com\r\nContent-Length: 0\r\n"
        + "Transfer-Encoding: xchunked\r\n\r\n");
  }

  @Test
  void chunkedThenIdentityIsRefusedBecauseTheFinalCodingIsNotChunked() {
    refusedWithNothingForwarded("POST /form HTTP/1.1\r\nHost: a.example.com\r\nTransfer-Encoding: chunked, identity\r\n\r\n");
  }

  @Test
  void gzipThenChunkedIsRefusedBecauseTheEdgeDecodesNoOtherCoding() {
    refusedWithNothingForwarded("POST /form HTTP/1.1\r\nHost: a.example.com\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
        + "0\r\n\r\n");
  }

  @Test
  void twoTransferEncodingFieldsAreRefused() {
    refusedWithNothingForwarded("POST /form HTTP/1.1\r\nHost: a.example.com\r\nTransfer-Encoding: chunked\r\n"
        + "Transfer-Encoding: identity\r\n\r\n0\r\n\r\n");
  }

  @Test
  void transferEncodingOnHttp10IsRefused() {
    refusedWithNothingForwarded("POST /form HTTP/1.0\r\nHost: a.example.com\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  }

  @Test
  void contentLengthWithChunkedIsRefusedAndTheRequestBehindItNeverReachesTheOrigin() {
    refusedWithNothingForwarded("POST /form HTTP/1.1\r\nHost: a.example.com\r\nContent-Length: 5\r\n"
        + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  }

  /** Regression: a field with an empty name ({@code : ab}) used to be forwarded verbatim. */
  @Test
  void aFieldWithAnEmptyNameIsRefused() {
    String answer = refusedWithNothingForwarded("GET /page HTTP/1.1\r\nHost: a.example.com\r\n: ab\r\n\r\n");
    assertThat(answer).contains("empty field name");
  }

  /** The control: two honest pipelined requests both reach the raw origin, so silence above means something. */
  @Test
  void honestPipelinedRequestsBothReachTheOrigin() {
    String answer = h.raw("GET /one HTTP/1.1\r\nHost: a.example.com\r\n\r\n"
        + "GET /two HTTP/1.1\r\nHost: a.example.com\r\nConnection: close\r\n\r\n", false, 3000);
    assertThat(answer).startsWith("HTTP/1.1 200").contains("saw GET /one HTTP/1.1").contains("saw GET /two HTTP/1.1");
    assertThat(origin.requestLines()).containsExactly("GET /one HTTP/1.1", "GET /two HTTP/1.1");
  }

  // ------------------------------------------------------------ malformed chunked bodies

  /**
   * Sends a chunked POST whose body is malformed; the client must get a 400 (it used to see the
   * connection just close) and the origin must not get a complete request.
   */
  private void malformedBodyIsAnswered400(String body) {
    TestOrigin parsed = h.origin().respond(200, "stored-nothing");
    h.site("b-example-com", "b.example.com", "[{\"url\":\"" + parsed.url() + "\"}]", null);
    String answer = h.raw("POST /upload HTTP/1.1\r\nHost: b.example.com\r\nTransfer-Encoding: chunked\r\n\r\n" + body
        + SMUGGLED.replace("a.example.com", "b.example.com"), false, 3000);
    assertThat(answer).startsWith("HTTP/1.1 400").contains("malformed chunked body")
        .containsIgnoringCase("Connection: close");
    assertThat(answer.split("HTTP/1\\.1 ", -1)).as("exactly one response: " + answer).hasSize(2);
    assertThat(parsed.seen()).as("no complete request reached the origin")
        .noneMatch(s -> s.bodyBytes() >= 0);
    assertThat(parsed.seen()).noneMatch(s -> s.uri().equals("/smuggled"));
  }

  @Test
  void aChunkSizeThatOverflowsIsAnswered400() {
    malformedBodyIsAnswered400("FFFFFFFFFFFFFFFFFFFF\r\nabc\r\n0\r\n\r\n");
  }

  @Test
  void aHexPrefixedChunkSizeIsAnswered400() {
    malformedBodyIsAnswered400("0x5\r\nhello\r\n0\r\n\r\n");
  }

  @Test
  void dataPastTheChunkSizeIsAnswered400() {
    malformedBodyIsAnswered400("5\r\nhelloEXTRA\r\n0\r\n\r\n");
  }

  @Test
  void aBareLineFeedInAChunkExtensionIsAnswered400() {
    malformedBodyIsAnswered400("5;name=a\nb\r\nhello\r\n0\r\n\r\n");
  }
}
