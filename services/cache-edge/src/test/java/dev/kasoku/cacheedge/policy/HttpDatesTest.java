package dev.kasoku.cacheedge.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * HTTP-date, RFC 9110 §5.6.7: "HTTP-date = IMF-fixdate / obs-date", "obs-date = rfc850-date /
 * asctime-date", and "Recipients ... MUST accept all three HTTP-date formats"; nothing else is an
 * HTTP-date.
 */
class HttpDatesTest {
  private static final Instant T = Instant.parse("1994-11-06T08:49:37Z");
  private static final Instant T2050 = Instant.parse("2050-08-18T02:01:18Z");

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

  /** asctime-date: "date3 = month SP ( 2DIGIT / ( SP DIGIT ) )": a two-digit day is the other form. */
  @Test
  void asctimeWithATwoDigitDayIsParsed() {
    assertThat(HttpDates.parse("Thu Aug 18 02:01:18 2050")).isEqualTo(T2050);
    assertThat(HttpDates.parse("Sun Nov 06 08:49:37 1994")).isEqualTo(T);
  }

  /** "GMT = %s"GMT"": IMF-fixdate and rfc850-date name no other zone, UTC included. */
  @Test
  void aZoneOtherThanGmtIsInvalid() {
    assertThat(HttpDates.parseMillis("Thu, 18 Aug 2050 02:01:18 UTC")).isEqualTo(HttpDates.INVALID);
    assertThat(HttpDates.parseMillis("Thu, 18 Aug 2050 02:01:18 AEST")).isEqualTo(HttpDates.INVALID);
    assertThat(HttpDates.parseMillis("Thursday, 18-Aug-50 02:01:18 UTC")).isEqualTo(HttpDates.INVALID);
    assertThat(HttpDates.parseMillis("Thu, 18 Aug 2050 02:01:18")).isEqualTo(HttpDates.INVALID);
    assertThat(HttpDates.parseMillis("Thu Aug 18 02:01:18 2050 GMT")).isEqualTo(HttpDates.INVALID);
  }

  /** IMF-fixdate: "date1 = day SP month SP year", "year = 4DIGIT": two digits are only the RFC 850 form. */
  @Test
  void aTwoDigitYearInTheImfFormIsInvalid() {
    assertThat(HttpDates.parseMillis("Thu, 18 Aug 50 02:01:18 GMT")).isEqualTo(HttpDates.INVALID);
  }

  /** IMF-fixdate: "day-name "," SP date1": the comma is part of the form. */
  @Test
  void aMissingCommaIsInvalid() {
    assertThat(HttpDates.parseMillis("Thu 18 Aug 2050 02:01:18 GMT")).isEqualTo(HttpDates.INVALID);
    assertThat(HttpDates.parseMillis("Thursday 18-Aug-50 02:01:18 GMT")).isEqualTo(HttpDates.INVALID);
  }

  /** The grammar has single SP between the parts (asctime's padded day aside). */
  @Test
  void doubledSpacesAreInvalid() {
    assertThat(HttpDates.parseMillis("Thu, 18  Aug  2050 02:01:18 GMT")).isEqualTo(HttpDates.INVALID);
    assertThat(HttpDates.parseMillis("Thu,  18 Aug 2050 02:01:18 GMT")).isEqualTo(HttpDates.INVALID);
    assertThat(HttpDates.parseMillis("Thu Aug 18  02:01:18 2050")).isEqualTo(HttpDates.INVALID);
    assertThat(HttpDates.parseMillis(" Thu, 18 Aug 2050 02:01:18 GMT")).isEqualTo(HttpDates.INVALID);
  }

  /** Dashes belong to the RFC 850 form ("date2 = day "-" month "-" 2DIGIT"), not to IMF-fixdate. */
  @Test
  void dashesInTheImfFormAreInvalid() {
    assertThat(HttpDates.parseMillis("Thu, 18-Aug-2050 02:01:18 GMT")).isEqualTo(HttpDates.INVALID);
    assertThat(HttpDates.parseMillis("Thursday, 18 Aug 50 02:01:18 GMT")).isEqualTo(HttpDates.INVALID);
  }

  /** "rfc850-date = day-name-l "," SP date2 SP time-of-day SP GMT": the long day-name only. */
  @Test
  void theRfc850FormNeedsTheLongDayName() {
    assertThat(HttpDates.parseMillis("Thu, 18-Aug-50 02:01:18 GMT")).isEqualTo(HttpDates.INVALID);
    assertThat(HttpDates.parseMillis("Caturday, 18-Aug-50 02:01:18 GMT")).isEqualTo(HttpDates.INVALID);
    assertThat(HttpDates.parse("Thursday, 18-Aug-50 02:01:18 GMT")).isEqualTo(T2050);
  }

  /** "time-of-day = hour ":" minute ":" second", each 2DIGIT. */
  @Test
  void aTimeOfDayOtherThanTwoDigitsAndColonsIsInvalid() {
    assertThat(HttpDates.parseMillis("Thu, 18 Aug 2050 2:01:18 GMT")).isEqualTo(HttpDates.INVALID);
    assertThat(HttpDates.parseMillis("Thu, 18 Aug 2050 02.01.18 GMT")).isEqualTo(HttpDates.INVALID);
  }

  /** "day-name = %s"Mon" / ...": a day-name that is none of the seven is not a date. */
  @Test
  void anUnknownDayNameIsInvalid() {
    assertThat(HttpDates.parseMillis("Xyz, 18 Aug 2050 02:01:18 GMT")).isEqualTo(HttpDates.INVALID);
    assertThat(HttpDates.parseMillis("Xyz Aug 18 02:01:18 2050")).isEqualTo(HttpDates.INVALID);
  }

  /**
   * RFC 9111 §4.2: "Although all date formats are specified to be case-sensitive, a cache recipient
   * SHOULD match the field value case-insensitively."
   */
  @Test
  void namesAreMatchedCaseInsensitively() {
    assertThat(HttpDates.parse("THU, 18 Aug 2050 02:01:18 GMT")).isEqualTo(T2050);
    assertThat(HttpDates.parse("Thu, 18 AUG 2050 02:01:18 GMT")).isEqualTo(T2050);
    assertThat(HttpDates.parse("Thu, 18 Aug 2050 02:01:18 gMT")).isEqualTo(T2050);
    assertThat(HttpDates.parse("THURSDAY, 18-aug-50 02:01:18 gmt")).isEqualTo(T2050);
  }

  /** Far dates: 32-bit overflow (2038) and beyond are ordinary 4DIGIT years. */
  @Test
  void datesBeyond2038AreParsed() {
    assertThat(HttpDates.parse("Tue, 19 Jan 2038 14:14:08 GMT")).isEqualTo(Instant.parse("2038-01-19T14:14:08Z"));
    assertThat(HttpDates.parse("Sun, 21 Nov 2286 04:46:39 GMT")).isEqualTo(Instant.parse("2286-11-21T04:46:39Z"));
  }
}
