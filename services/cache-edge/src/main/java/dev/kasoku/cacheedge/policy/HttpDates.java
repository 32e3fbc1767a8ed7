package dev.kasoku.cacheedge.policy;

import java.time.Instant;
import java.time.LocalDate;

/**
 * HTTP-date parsing and formatting (RFC 9110 §5.6.7).
 *
 * <p>An HTTP-date is exactly one of three forms, and nothing else:
 * <ul>
 *   <li>IMF-fixdate {@code Sun, 06 Nov 1994 08:49:37 GMT}: day-name "," SP 2DIGIT SP month SP 4DIGIT
 *       SP time SP "GMT";</li>
 *   <li>the obsolete RFC 850 form {@code Sunday, 06-Nov-94 08:49:37 GMT}: full day-name "," SP
 *       2DIGIT "-" month "-" 2DIGIT SP time SP "GMT";</li>
 *   <li>the obsolete asctime form {@code Sun Nov  6 08:49:37 1994}: day-name SP month SP (2DIGIT or
 *       SP DIGIT) SP time SP 4DIGIT.</li>
 * </ul>
 * Each is matched at fixed positions with single spaces; a value that fits none (a zone other than
 * GMT such as {@code UTC}, a two-digit year in the IMF form, a missing comma, doubled spaces, dashes
 * in the IMF form, a one-digit hour) is {@link #INVALID}, and callers treat it as the RFC says for
 * that field: an invalid Expires means "already expired" (RFC 9111 §5.3), an invalid
 * If-Modified-Since or If-Unmodified-Since is ignored (RFC 9110 §13.1.3, §13.1.4), an invalid Date
 * is replaced by the time the response was received, an invalid Last-Modified is no validator.
 * Names ({@code Sun}, {@code Nov}, {@code GMT}) are matched case-insensitively: "Although all date
 * formats are specified to be case-sensitive, a cache recipient SHOULD match the field value
 * case-insensitively" (RFC 9111 §4.2). The day-name is not checked against the date. Two-digit
 * RFC 850 years are read as the nearest year not more than 50 years in the future (RFC 9110 §5.6.7).
 * The scan is hand-written (no regex, no DateTimeFormatter) and does not allocate, because it runs
 * on several headers of every response and every conditional request.
 *
 * <p>Formatting always produces IMF-fixdate and memoises the last second, since Date is written on
 * every response.
 */
public final class HttpDates {
  /** Returned by the parsers for text that is not an HTTP-date. */
  public static final long INVALID = Long.MIN_VALUE;

  private static final String[] DAYS = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  private static final String[] LONG_DAYS = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
      "Saturday", "Sunday"};
  private static final String[] MONTHS = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
      "Sep", "Oct", "Nov", "Dec"};

  private record Memo(long second, String text) {}

  private static volatile Memo memo = new Memo(Long.MIN_VALUE, "");

  private HttpDates() {}

  /** Parses an HTTP-date into epoch milliseconds, or {@link #INVALID}. */
  public static long parseMillis(String text) {
    if (text == null) {
      return INVALID;
    }
    int n = text.length();
    if (n == 29 && text.charAt(3) == ',') {
      return imfFixdate(text);
    }
    if (n == 24 && text.charAt(3) == ' ') {
      return asctime(text);
    }
    int comma = text.indexOf(',');
    if (comma >= 6 && comma <= 9 && n == comma + 24) {
      return rfc850(text, comma);
    }
    return INVALID;
  }

  /** IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT" (29 characters, comma at 3). */
  private static long imfFixdate(String t) {
    if (!dayName(t, 0) || t.charAt(4) != ' ' || t.charAt(7) != ' ' || t.charAt(11) != ' '
        || t.charAt(16) != ' ' || t.charAt(25) != ' ' || !t.regionMatches(true, 26, "GMT", 0, 3)) {
      return INVALID;
    }
    int day = twoDigits(t, 5);
    int month = month(t, 8);
    int y1 = twoDigits(t, 12);
    int y2 = twoDigits(t, 14);
    if (y1 < 0 || y2 < 0) {
      return INVALID;
    }
    return civil(y1 * 100 + y2, month, day, t, 17);
  }

  /** The obsolete RFC 850 form, "Sunday, 06-Nov-94 08:49:37 GMT" (the comma after the long day-name). */
  private static long rfc850(String t, int comma) {
    boolean named = false;
    for (String d : LONG_DAYS) {
      if (d.length() == comma && t.regionMatches(true, 0, d, 0, comma)) {
        named = true;
        break;
      }
    }
    int at = comma + 2; // "06-Nov-94 08:49:37 GMT"
    if (!named || t.charAt(comma + 1) != ' ' || t.charAt(at + 2) != '-' || t.charAt(at + 6) != '-'
        || t.charAt(at + 9) != ' ' || t.charAt(at + 18) != ' ' || !t.regionMatches(true, at + 19, "GMT", 0, 3)) {
      return INVALID;
    }
    int day = twoDigits(t, at);
    int month = month(t, at + 3);
    int yy = twoDigits(t, at + 7);
    if (yy < 0) {
      return INVALID;
    }
    return civil(twoDigitYear(yy), month, day, t, at + 10);
  }

  /** The obsolete asctime form, "Sun Nov  6 08:49:37 1994" (day as 2DIGIT or SP DIGIT). */
  private static long asctime(String t) {
    if (!dayName(t, 0) || t.charAt(7) != ' ' || t.charAt(10) != ' ' || t.charAt(19) != ' ') {
      return INVALID;
    }
    int month = month(t, 4);
    int day = t.charAt(8) == ' ' ? digit(t.charAt(9)) : twoDigits(t, 8);
    int y1 = twoDigits(t, 20);
    int y2 = twoDigits(t, 22);
    if (y1 < 0 || y2 < 0) {
      return INVALID;
    }
    return civil(y1 * 100 + y2, month, day, t, 11);
  }

  /** Checks the time-of-day "08:49:37" at {@code timeAt} and the date, then converts. */
  private static long civil(int year, int month, int day, String t, int timeAt) {
    if (t.charAt(timeAt + 2) != ':' || t.charAt(timeAt + 5) != ':') {
      return INVALID;
    }
    int hh = twoDigits(t, timeAt);
    int mm = twoDigits(t, timeAt + 3);
    int ss = twoDigits(t, timeAt + 6);
    if (month < 1 || day < 1 || hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60) {
      return INVALID;
    }
    return toMillis(year, month, day, hh, mm, ss);
  }

  /** Epoch millis of a UTC civil time (leap second 60 read as 59), or INVALID for a bad day. */
  private static long toMillis(int year, int month, int day, int hh, int mm, int ss) {
    int dim = switch (month) {
      case 2 -> (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28;
      case 4, 6, 9, 11 -> 30;
      default -> 31;
    };
    if (day < 1 || day > dim) {
      return INVALID;
    }
    // days from civil (H. Hinnant's algorithm)
    int y = month <= 2 ? year - 1 : year;
    int era = Math.floorDiv(y, 400);
    int yoe = y - era * 400;
    int doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    long epochDay = (long) era * 146_097 + doe - 719_468;
    return ((epochDay * 24 + hh) * 60 + mm) * 60_000L + Math.min(ss, 59) * 1000L;
  }

  /** Parses an HTTP-date, or returns null when invalid or absent. */
  public static Instant parse(String text) {
    long ms = parseMillis(text);
    return ms == INVALID ? null : Instant.ofEpochMilli(ms);
  }

  /** Formats as IMF-fixdate (seconds precision). */
  public static String format(Instant instant) {
    return formatMillis(instant.toEpochMilli());
  }

  /** Formats epoch milliseconds as IMF-fixdate (seconds precision). */
  public static String formatMillis(long epochMillis) {
    long second = Math.floorDiv(epochMillis, 1000L);
    Memo m = memo;
    if (m.second == second) {
      return m.text;
    }
    long epochDay = Math.floorDiv(second, 86_400L);
    int secOfDay = (int) Math.floorMod(second, 86_400L);
    LocalDate d = LocalDate.ofEpochDay(epochDay);
    StringBuilder sb = new StringBuilder(29);
    sb.append(DAYS[d.getDayOfWeek().getValue() - 1]).append(", ");
    pad2(sb, d.getDayOfMonth());
    sb.append(' ').append(MONTHS[d.getMonthValue() - 1]).append(' ');
    int y = d.getYear();
    if (y < 1000) {
      sb.append(y < 10 ? "000" : y < 100 ? "00" : "0");
    }
    sb.append(y).append(' ');
    pad2(sb, secOfDay / 3600);
    sb.append(':');
    pad2(sb, secOfDay / 60 % 60);
    sb.append(':');
    pad2(sb, secOfDay % 60);
    sb.append(" GMT");
    String text = sb.toString();
    memo = new Memo(second, text);
    return text;
  }

  private static void pad2(StringBuilder sb, int v) {
    if (v < 10) {
      sb.append('0');
    }
    sb.append(v);
  }

  private static boolean dayName(String s, int at) {
    for (String d : DAYS) {
      if (s.regionMatches(true, at, d, 0, 3)) {
        return true;
      }
    }
    return false;
  }

  /** The month (1-12) of the three letters at {@code at}, or -1. */
  private static int month(String s, int at) {
    for (int i = 0; i < 12; i++) {
      if (s.regionMatches(true, at, MONTHS[i], 0, 3)) {
        return i + 1;
      }
    }
    return -1;
  }

  private static int digit(char c) {
    return c >= '0' && c <= '9' ? c - '0' : -1;
  }

  private static int twoDigits(String s, int at) {
    char a = s.charAt(at);
    char b = s.charAt(at + 1);
    if (a < '0' || a > '9' || b < '0' || b > '9') {
      return -1;
    }
    return (a - '0') * 10 + (b - '0');
  }

  private static int twoDigitYear(int yy) {
    int nowYear = LocalDate.now(java.time.ZoneOffset.UTC).getYear();
    int candidate = nowYear - nowYear % 100 + yy;
    return candidate > nowYear + 50 ? candidate - 100 : candidate;
  }
}
