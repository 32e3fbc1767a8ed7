package dev.kasoku.config.impl;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** API timestamps: RFC 3339, UTC, always with milliseconds (API.md). */
final class ApiTime {
  private static final DateTimeFormatter FORMAT =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private ApiTime() {}

  static String format(Instant t) {
    return FORMAT.format(t);
  }
}
