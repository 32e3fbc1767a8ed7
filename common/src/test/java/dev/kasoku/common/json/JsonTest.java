package dev.kasoku.common.json;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The API writes one timestamp form; the store and the bus keep full precision. */
class JsonTest {
  record Stamped(String id, Instant at) {}

  /**
   * Regression: purge statuses were written with the store's mapper (ISO_INSTANT), which drops the
   * fraction at a whole second and writes six or nine digits otherwise, while auth and config wrote
   * exactly three.
   */
  @Test
  void apiAnswersWriteEveryInstantWithExactlyThreeFractionDigitsInUtc() throws Exception {
    assertThat(Json.API.writeValueAsString(new Stamped("a", Instant.parse("2026-12-02T06:00:00Z"))))
        .isEqualTo("{\"id\":\"a\",\"at\":\"2026-12-02T06:00:00.000Z\"}");
    assertThat(Json.API.writeValueAsString(new Stamped("b", Instant.parse("2026-12-02T06:00:00.123456789Z"))))
        .isEqualTo("{\"id\":\"b\",\"at\":\"2026-12-02T06:00:00.123Z\"}");
  }

  @Test
  void theFormatterTruncatesAndNeverRoundsUp() {
    assertThat(Timestamps.format(Instant.parse("2026-12-31T23:59:59.999999Z"))).isEqualTo("2026-12-31T23:59:59.999Z");
  }

  @Test
  void theStoreAndBusMapperKeepsFullPrecisionAndReadsTheApiFormToo() {
    Instant precise = Instant.parse("2026-12-02T06:00:00.123456789Z");
    assertThat(Json.decode(Json.encode(new Stamped("c", precise)), Stamped.class).at()).isEqualTo(precise);
    assertThat(Json.decode("{\"id\":\"d\",\"at\":\"2026-12-02T06:00:00.123Z\",\"later\":1}", Stamped.class))
        .as("the API form, and a field a newer version added")
        .isEqualTo(new Stamped("d", Instant.parse("2026-12-02T06:00:00.123Z")));
  }
}
