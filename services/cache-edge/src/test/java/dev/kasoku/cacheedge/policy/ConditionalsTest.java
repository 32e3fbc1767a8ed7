package dev.kasoku.cacheedge.policy;

import static dev.kasoku.cacheedge.policy.TestSites.T0;
import static dev.kasoku.cacheedge.policy.TestSites.date;
import static dev.kasoku.cacheedge.policy.TestSites.headers;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.cacheedge.policy.Conditionals.Outcome;
import io.vertx.core.MultiMap;
import org.junit.jupiter.api.Test;

/** Conditional requests: RFC 9110 §13, RFC 9111 §4.3. */
class ConditionalsTest {
  private static final MultiMap STORED = headers("ETag", "\"v1\"",
      "Last-Modified", date(T0.minusSeconds(3600)), "Date", date(T0));

  private static Outcome eval(String method, MultiMap req) {
    return Conditionals.evaluate(method, req, STORED);
  }

  @Test
  void matchingIfNoneMatchGivesNotModified() {
    assertThat(eval("GET", headers("If-None-Match", "\"v1\""))).isEqualTo(Outcome.NOT_MODIFIED);
  }

  /** §13.1.2: If-None-Match uses the weak comparison function. */
  @Test
  void ifNoneMatchUsesWeakComparison() {
    assertThat(eval("GET", headers("If-None-Match", "W/\"v1\""))).isEqualTo(Outcome.NOT_MODIFIED);
  }

  @Test
  void ifNoneMatchListMatchesAnyMember() {
    assertThat(eval("GET", headers("If-None-Match", "\"a\", \"v1\" , \"b\""))).isEqualTo(Outcome.NOT_MODIFIED);
  }

  @Test
  void ifNoneMatchWithCommaInsideATagIsParsedAsOneTag() {
    MultiMap stored = headers("ETag", "\"a,b\"");
    assertThat(Conditionals.evaluate("GET", headers("If-None-Match", "\"a,b\""), stored))
        .isEqualTo(Outcome.NOT_MODIFIED);
  }

  @Test
  void nonMatchingIfNoneMatchProceeds() {
    assertThat(eval("GET", headers("If-None-Match", "\"v2\""))).isEqualTo(Outcome.PROCEED);
  }

  @Test
  void ifNoneMatchStarMatchesAnyStoredRepresentation() {
    assertThat(eval("GET", headers("If-None-Match", "*"))).isEqualTo(Outcome.NOT_MODIFIED);
  }

  /** §13.2.2 step 3: a recipient MUST ignore If-Modified-Since when If-None-Match is present. */
  @Test
  void ifModifiedSinceIsIgnoredWhenIfNoneMatchIsPresent() {
    MultiMap req = headers("If-None-Match", "\"other\"", "If-Modified-Since", date(T0));
    assertThat(eval("GET", req)).isEqualTo(Outcome.PROCEED);
  }

  @Test
  void ifModifiedSinceAfterLastModifiedGivesNotModified() {
    assertThat(eval("GET", headers("If-Modified-Since", date(T0.minusSeconds(10))))).isEqualTo(Outcome.NOT_MODIFIED);
  }

  @Test
  void ifModifiedSinceEqualToLastModifiedGivesNotModified() {
    assertThat(eval("GET", headers("If-Modified-Since", date(T0.minusSeconds(3600))))).isEqualTo(Outcome.NOT_MODIFIED);
  }

  @Test
  void ifModifiedSinceBeforeLastModifiedProceeds() {
    assertThat(eval("GET", headers("If-Modified-Since", date(T0.minusSeconds(7200))))).isEqualTo(Outcome.PROCEED);
  }

  /** §13.1.3: an invalid date is ignored. */
  @Test
  void invalidIfModifiedSinceIsIgnored() {
    assertThat(eval("GET", headers("If-Modified-Since", "yesterday"))).isEqualTo(Outcome.PROCEED);
  }

  /**
   * §13.1.3: "A recipient MUST ignore the If-Modified-Since header field if the received field value
   * is not a valid HTTP-date": a date in the UTC zone or with a two-digit IMF year is not one.
   */
  @Test
  void ifModifiedSinceThatIsNotAnHttpDateIsIgnored() {
    String utc = date(T0).replace("GMT", "UTC");
    assertThat(eval("GET", headers("If-Modified-Since", utc))).isEqualTo(Outcome.PROCEED);
    assertThat(eval("GET", headers("If-Modified-Since", "Thu, 01 Jan 26 00:00:00 GMT"))).isEqualTo(Outcome.PROCEED);
    assertThat(eval("GET", headers("If-Modified-Since", date(T0)))).isEqualTo(Outcome.NOT_MODIFIED);
  }

  /** §13.1.4: "A recipient MUST ignore the If-Unmodified-Since header field if the received field value is not a valid HTTP-date". */
  @Test
  void ifUnmodifiedSinceThatIsNotAnHttpDateIsIgnored() {
    String pastUtc = date(T0.minusSeconds(7200)).replace("GMT", "UTC");
    assertThat(eval("GET", headers("If-Unmodified-Since", pastUtc))).isEqualTo(Outcome.PROCEED);
  }

  /** RFC 9111 §4.3.1: only a valid Last-Modified is a validator to send as If-Modified-Since. */
  @Test
  void aLastModifiedThatIsNotAnHttpDateIsNotSentAsIfModifiedSince() {
    MultiMap out = headers();
    Conditionals.addRevalidationHeaders(headers("Last-Modified", "Thu, 18-Aug-2050 02:01:18 GMT"), out);
    assertThat(out.contains("If-Modified-Since")).isFalse();
  }

  /** RFC 9111 §4.3.2: without Last-Modified the stored Date is the modification time. */
  @Test
  void ifModifiedSinceFallsBackToTheStoredDate() {
    MultiMap stored = headers("Date", date(T0));
    assertThat(Conditionals.evaluate("GET", headers("If-Modified-Since", date(T0)), stored))
        .isEqualTo(Outcome.NOT_MODIFIED);
  }

  @Test
  void ifModifiedSinceOnlyAppliesToGetAndHead() {
    assertThat(eval("POST", headers("If-Modified-Since", date(T0)))).isEqualTo(Outcome.PROCEED);
    assertThat(eval("HEAD", headers("If-Modified-Since", date(T0)))).isEqualTo(Outcome.NOT_MODIFIED);
  }

  /** §13.1.1: If-Match uses strong comparison; false → 412. */
  @Test
  void failingIfMatchGivesPreconditionFailed() {
    assertThat(eval("GET", headers("If-Match", "\"v2\""))).isEqualTo(Outcome.PRECONDITION_FAILED);
    assertThat(eval("GET", headers("If-Match", "W/\"v1\""))).isEqualTo(Outcome.PRECONDITION_FAILED);
    assertThat(eval("GET", headers("If-Match", "\"v1\""))).isEqualTo(Outcome.PROCEED);
  }

  @Test
  void failingIfUnmodifiedSinceGivesPreconditionFailed() {
    assertThat(eval("GET", headers("If-Unmodified-Since", date(T0.minusSeconds(7200)))))
        .isEqualTo(Outcome.PRECONDITION_FAILED);
  }

  @Test
  void noConditionalsProceed() {
    assertThat(eval("GET", headers())).isEqualTo(Outcome.PROCEED);
    assertThat(Conditionals.hasConditionals(headers())).isFalse();
  }

  /** RFC 9111 §4.3.1: validators of the stored response become the conditional request. */
  @Test
  void revalidationRequestCarriesTheStoredValidators() {
    MultiMap out = headers();
    Conditionals.addRevalidationHeaders(STORED, out);
    assertThat(out.get("If-None-Match")).isEqualTo("\"v1\"");
    assertThat(out.get("If-Modified-Since")).isEqualTo(STORED.get("last-modified"));
  }

  @Test
  void revalidationWithoutValidatorsAddsNothing() {
    MultiMap out = headers();
    Conditionals.addRevalidationHeaders(headers("Date", date(T0)), out);
    assertThat(out.isEmpty()).isTrue();
  }

  /** §13.1.5: If-Range with an entity-tag uses strong comparison. */
  @Test
  void ifRangeWithMatchingStrongEtagAllowsTheRange() {
    assertThat(Conditionals.ifRangeAllows("\"v1\"", STORED)).isTrue();
    assertThat(Conditionals.ifRangeAllows("\"v2\"", STORED)).isFalse();
  }

  @Test
  void ifRangeWithWeakEtagNeverAllowsTheRange() {
    assertThat(Conditionals.ifRangeAllows("W/\"v1\"", STORED)).isFalse();
    MultiMap weakStored = headers("ETag", "W/\"v1\"");
    assertThat(Conditionals.ifRangeAllows("W/\"v1\"", weakStored)).isFalse();
  }

  /** §13.1.5: a date must be an exact match of a strong Last-Modified. */
  @Test
  void ifRangeWithExactLastModifiedAllowsTheRange() {
    assertThat(Conditionals.ifRangeAllows(date(T0.minusSeconds(3600)), STORED)).isTrue();
    assertThat(Conditionals.ifRangeAllows(date(T0.minusSeconds(3599)), STORED)).isFalse();
  }

  @Test
  void ifRangeDateAgainstAWeakLastModifiedDoesNotAllowTheRange() {
    MultiMap stored = headers("Last-Modified", date(T0), "Date", date(T0));
    assertThat(Conditionals.ifRangeAllows(date(T0), stored)).isFalse();
  }

  @Test
  void absentIfRangeAllowsTheRange() {
    assertThat(Conditionals.ifRangeAllows(null, STORED)).isTrue();
  }

  /** RFC 9110 §15.4.5: a 304 carries the fields a 200 would have sent among the listed ones. */
  @Test
  void notModifiedCarriesValidatorsAndCachingFields() {
    MultiMap stored = headers("ETag", "\"v1\"", "Cache-Control", "max-age=60", "Content-Type", "text/plain",
        "Vary", "Accept-Encoding");
    MultiMap out = headers();
    Conditionals.copyNotModifiedFields(stored, out);
    assertThat(out.get("etag")).isEqualTo("\"v1\"");
    assertThat(out.get("cache-control")).isEqualTo("max-age=60");
    assertThat(out.get("vary")).isEqualTo("Accept-Encoding");
    assertThat(out.contains("content-type")).isFalse();
  }
}
