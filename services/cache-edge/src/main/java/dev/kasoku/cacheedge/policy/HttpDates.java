package dev.kasoku.cacheedge.policy;

import java.time.Instant;
import java.time.LocalDate;

/**
 * HTTP-date parsing and formatting (RFC 9110 §5.6.7).
 *
 * <p>Recipients must accept all three historical formats: IMF-fixdate ({@code Sun, 06 Nov 1994
 * 08:49:37 GMT}), RFC 850 ({@code Sunday, 06-Nov-94 08:49:37 GMT}) and asctime ({@code Sun Nov  6
 * 08:49:37 1994}). The parser is a single hand-written scan (no regex, no DateTimeFormatter) because
 * it runs on several headers of every response and every conditional request; anything it does not
 * understand yields {@link #INVALID}, which callers treat as the RFC says for that field (e.g. an
 * invalid Expires means "already expired", RFC 9111 §5.3). Two-digit RFC 850 years are read as the
 * nearest year not more than 50 years in the future (RFC 9110 §5.6.7).
 *
 * <p>Formatting always produces IMF-fixdate and memoises the last second, since Date is written on
 * every response.
 */
public final class HttpDates {
  /** Returned by the parsers for text that is not an HTTP-date. */
  public static final long INVALID = Long.MIN_VALUE;

  private static final String[] DAYS = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
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
    if (n == 29 && text.charAt(3) == ',' && text.endsWith(" GMT")) {
      long fast = imfFixdate(text);
      if (fast != INVALID) {
        return fast;
      }
    }
    if (n < 20 || n > 64) {
      return INVALID;
    }
    // tokens: up to 7 (day-name, day, month, year, time, zone) split on ' ', ',', '-'
    String[] tok = new String[7];
    int count = 0;
    int i = 0;
    while (i < n) {
      char c = text.charAt(i);
      if (c == ' ' || c == ',' || c == '-' || c == '\t') {
        i++;
        continue;
      }
      int start = i;
      while (i < n) {
        c = text.charAt(i);
        if (c == ' ' || c == ',' || c == '-' || c == '\t') {
          break;
        }
        i++;
      }
      if (count == tok.length) {
        return INVALID;
      }
      tok[count++] = text.substring(start, i);
    }
    if (count < 5) {
      return INVALID;
    }
    int t = 0;
    if (dayName(tok[0])) {
      t = 1;
    }
    int day;
    int month;
    int year;
    String time;
    if (t + 4 > count) {
      return INVALID;
    }
    if (isDigits(tok[t])) {
      // IMF-fixdate / RFC 850: day month year time [GMT]
      day = parseInt(tok[t]);
      month = month(tok[t + 1]);
      year = parseInt(tok[t + 2]);
      time = tok[t + 3];
      if (tok[t + 2].length() == 2) {
        year = twoDigitYear(year);
      } else if (tok[t + 2].length() != 4) {
        return INVALID;
      }
      if (count > t + 5 || (count == t + 5 && !isGmt(tok[t + 4]))) {
        return INVALID;
      }
    } else {
      // asctime: month day time year
      month = month(tok[t]);
      day = parseInt(tok[t + 1]);
      time = tok[t + 2];
      if (tok[t + 3].length() != 4) {
        return INVALID;
      }
      year = parseInt(tok[t + 3]);
      if (count > t + 5 || (count == t + 5 && !isGmt(tok[t + 4]))) {
        return INVALID;
      }
    }
    if (month < 0 || day < 1 || day > 31 || year < 1000 || time.length() != 8
        || time.charAt(2) != ':' || time.charAt(5) != ':') {
      return INVALID;
    }
    int hh = twoDigits(time, 0);
    int mm = twoDigits(time, 3);
    int ss = twoDigits(time, 6);
    if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60) {
      return INVALID;
    }
    return toMillis(year, month + 1, day, hh, mm, ss);
  }

  /** IMF-fixdate at fixed positions ("Sun, 06 Nov 1994 08:49:37 GMT"), without allocating. */
  private static long imfFixdate(String t) {
    if (t.charAt(4) != ' ' || t.charAt(7) != ' ' || t.charAt(11) != ' ' || t.charAt(16) != ' '
        || t.charAt(19) != ':' || t.charAt(22) != ':') {
      return INVALID;
    }
    int day = twoDigits(t, 5);
    int month = -1;
    for (int i = 0; i < 12; i++) {
      if (t.regionMatches(8, MONTHS[i], 0, 3)) {
        month = i + 1;
        break;
      }
    }
    int y1 = twoDigits(t, 12);
    int y2 = twoDigits(t, 14);
    int hh = twoDigits(t, 17);
    int mm = twoDigits(t, 20);
    int ss = twoDigits(t, 23);
    if (month < 0 || day < 1 || y1 < 0 || y2 < 0 || hh < 0 || hh > 23 || mm < 0 || mm > 59
        || ss < 0 || ss > 60) {
      return INVALID;
    }
    return toMillis(y1 * 100 + y2, month, day, hh, mm, ss);
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

  private static boolean dayName(String s) {
    if (s.length() < 3 || !Character.isLetter(s.charAt(0))) {
      return false;
    }
    return month(s) < 0;
  }

  private static boolean isGmt(String s) {
    return s.equals("GMT") || s.equals("UTC") || s.equals("UT") || s.equals("Z");
  }

  private static int month(String s) {
    if (s.length() != 3) {
      return -1;
    }
    for (int i = 0; i < 12; i++) {
      if (MONTHS[i].equalsIgnoreCase(s)) {
        return i;
      }
    }
    return -1;
  }

  private static boolean isDigits(String s) {
    if (s.isEmpty() || s.length() > 4) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  private static int parseInt(String s) {
    if (!isDigits(s)) {
      return -1;
    }
    int v = 0;
    for (int i = 0; i < s.length(); i++) {
      v = v * 10 + (s.charAt(i) - '0');
    }
    return v;
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
