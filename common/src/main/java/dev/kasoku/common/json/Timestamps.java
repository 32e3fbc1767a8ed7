package dev.kasoku.common.json;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/**
 * The one timestamp format of the API: RFC 3339 in UTC with exactly three fraction digits
 * ({@code 2026-12-02T06:02:09.123Z}). Every instant an API answer carries is written here, directly
 * or through {@link Json#API}, so a client parses one fixed-width form whatever the endpoint.
 *
 * <p>The pattern uses {@code uuuu} (proleptic year), not {@code yyyy} (year of era), so a year
 * outside 1..9999 cannot silently lose its sign. Instants are truncated to the millisecond, never
 * rounded up, so a written time is never later than the event.
 */
public final class Timestamps {
  /** The API's formatter: thread-safe and immutable. */
  public static final DateTimeFormatter API =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private Timestamps() {}

  /** The API form of an instant. */
  public static String format(Instant t) {
    return API.format(t.truncatedTo(ChronoUnit.MILLIS));
  }
}
