package dev.kasoku.cacheedge.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** HTTP-date, RFC 9110 §5.6.7: "Recipients ... MUST accept all three HTTP-date formats". */
class HttpDatesTest {
  private static final Instant T = Instant.parse("1994-11-06T08:49:37Z");

  @Test
  void imfFixdateIsParsed() {
    assertThat(HttpDates.parse("Sun, 06 Nov 1994 08:49:37 GMT")).isEqualTo(T);
  }

  @Test
  void rfc850DateIsParsed() {
    assertThat(HttpDates.parse("Sunday, 06-Nov-94 08:49:37 GMT")).isEqualTo(T);
  }

  @Test
  void asctimeDateIsParsed() {
    assertThat(HttpDates.parse("Sun Nov  6 08:49:37 1994")).isEqualTo(T);
  }

  @Test
  void formatIsImfFixdate() {
    assertThat(HttpDates.format(T)).isEqualTo("Sun, 06 Nov 1994 08:49:37 GMT");
    assertThat(HttpDates.format(Instant.parse("2026-01-01T00:00:00.999Z"))).isEqualTo("Thu, 01 Jan 2026 00:00:00 GMT");
  }

  @Test
  void formatThenParseRoundTrips() {
    Instant t = Instant.parse("2031-07-19T23:59:59Z");
    assertThat(HttpDates.parse(HttpDates.format(t))).isEqualTo(t);
  }

  @Test
  void garbageIsInvalid() {
    assertThat(HttpDates.parseMillis("0")).isEqualTo(HttpDates.INVALID);
    assertThat(HttpDates.parseMillis("-1")).isEqualTo(HttpDates.INVALID);
    assertThat(HttpDates.parseMillis("Sun, 32 Nov 1994 08:49:37 GMT")).isEqualTo(HttpDates.INVALID);
    assertThat(HttpDates.parseMillis("Sun, 06 Foo 1994 08:49:37 GMT")).isEqualTo(HttpDates.INVALID);
    assertThat(HttpDates.parseMillis("Sun, 06 Nov 1994 25:49:37 GMT")).isEqualTo(HttpDates.INVALID);
    assertThat(HttpDates.parseMillis("Sun, 06 Nov 1994 08:49:37 PST")).isEqualTo(HttpDates.INVALID);
    assertThat(HttpDates.parseMillis(null)).isEqualTo(HttpDates.INVALID);
  }

  @Test
  void februaryThirtiethIsInvalid() {
    assertThat(HttpDates.parseMillis("Mon, 30 Feb 2026 00:00:00 GMT")).isEqualTo(HttpDates.INVALID);
  }
}
