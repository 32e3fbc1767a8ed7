package dev.kasoku.common.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.DateTimeException;
import java.time.Instant;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TimestampsTest {
  /** The quick reading of the API form agrees with the general parser on every instant it writes. */
  @Test
  void parseMillisReadsWhatFormatWritesAsInstantParseDoes() {
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < 100_000; i++) {
      // years 1 to 9999, so the API form keeps its four digits
      long ms = random.nextLong(-62_135_596_800_000L, 253_402_300_799_999L);
      String s = Timestamps.format(Instant.ofEpochMilli(ms));
      assertThat(Timestamps.parseMillis(s)).as(s).isEqualTo(ms).isEqualTo(Instant.parse(s).toEpochMilli());
    }
    for (String s : new String[] {"2024-02-29T23:59:59.999Z", "1970-01-01T00:00:00.000Z", "0001-01-01T00:00:00.000Z"}) {
      assertThat(Timestamps.parseMillis(s)).as(s).isEqualTo(Instant.parse(s).toEpochMilli());
    }
  }

  /** Other ISO-8601 instants (older lines, other writers) are read as the general parser reads them. */
  @Test
  void otherFormsGoThroughTheGeneralParser() {
    for (String s : new String[] {"2026-12-01T10:00:00Z", "2026-12-01T10:00:00.123456Z", "+10000-01-01T00:00:00.000Z",
        "-0001-06-30T12:00:00.500Z", "2026-12-01T10:00:00.1Z",
        "2026-12-01T24:00:00.000Z"}) { // the last: the next midnight, for both
      assertThat(Timestamps.parseMillis(s)).as(s).isEqualTo(Instant.parse(s).toEpochMilli());
    }
  }

  /** What is not an instant is refused as by the general parser, also in the API form's shape. */
  @Test
  void notAnInstantIsRefused() {
    for (String s : new String[] {"2026-13-01T10:00:00.000Z", "2026-02-30T10:00:00.000Z", "2026-12-01T10:60:00.000Z", "2026-1a-01T10:00:00.000Z", "yesterday", ""}) {
      assertThatThrownBy(() -> Timestamps.parseMillis(s)).as(s).isInstanceOf(DateTimeException.class);
    }
  }
}
