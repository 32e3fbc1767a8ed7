package dev.kasoku.common.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SizesTest {

  @Test
  void byteSizesAcceptBinaryUnits() {
    assertThat(Sizes.parseBytes("512m")).isEqualTo(512L << 20);
    assertThat(Sizes.parseBytes("2g")).isEqualTo(2L << 30);
    assertThat(Sizes.parseBytes("2GiB")).isEqualTo(2L << 30);
    assertThat(Sizes.parseBytes("1048576")).isEqualTo(1048576L);
  }

  @Test
  void byteSizesRefuseGarbageAndOverflow() {
    assertThat(Sizes.parseBytes("lots")).isEqualTo(-1);
    assertThat(Sizes.parseBytes("-5m")).isEqualTo(-1);
    assertThat(Sizes.parseBytes("99999999999999999t")).isEqualTo(-1);
  }

  @Test
  void durationsUseTheApiUnits() {
    assertThat(Sizes.parseDuration("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(Sizes.parseDuration("90s")).isEqualTo(Duration.ofSeconds(90));
    assertThat(Sizes.parseDuration("1h")).isEqualTo(Duration.ofHours(1));
    assertThat(Sizes.parseDuration("7d")).isEqualTo(Duration.ofDays(7));
  }

  @Test
  void durationsRefuseAnythingElse() {
    assertThat(Sizes.parseDuration("7 days")).isNull();
    assertThat(Sizes.parseDuration("1.5h")).isNull();
    assertThat(Sizes.parseDuration("")).isNull();
    assertThat(Sizes.parseDuration(null)).isNull();
  }

  @Test
  void durationsFormatInTheLargestExactUnit() {
    assertThat(Sizes.formatDuration(Duration.ofDays(7))).isEqualTo("7d");
    assertThat(Sizes.formatDuration(Duration.ofSeconds(90))).isEqualTo("90s");
    assertThat(Sizes.formatDuration(Duration.ofMillis(1500))).isEqualTo("1500ms");
    assertThat(Sizes.formatDuration(Duration.ZERO)).isEqualTo("0s");
  }
}
