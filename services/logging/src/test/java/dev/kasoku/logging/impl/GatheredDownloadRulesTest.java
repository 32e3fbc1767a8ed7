package dev.kasoku.logging.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which instances a download asks, and when it compresses. */
class GatheredDownloadRulesTest {
  private static final Instant FROM = Instant.parse("2026-12-01T10:00:00Z");

  @Test
  void anInstanceLastSeenBeforeTheRangeCouldHoldIsNotAskedNorNamedMissing() {
    Duration beat = Duration.ofSeconds(10);
    Map<String, Instant> registered = Map.of(
        "li-recent", FROM.plusSeconds(5),
        "li-edge", FROM.minus(GatheredDownload.LAST_SEEN_MARGIN).minusSeconds(20),
        "li-long-gone", FROM.minus(Duration.ofDays(3)));
    assertThat(GatheredDownload.instancesFor(registered, FROM, beat, "li-self"))
        .containsExactly("li-edge", "li-recent", "li-self");
    assertThat(GatheredDownload.instancesFor(Map.of(), FROM, beat, "li-self")).as("not registered yet: itself")
        .containsExactly("li-self");
  }

  @Test
  void gzipIsUsedWhenAcceptEncodingAcceptsIt() {
    assertThat(GatheredDownload.acceptsGzip("gzip")).isTrue();
    assertThat(GatheredDownload.acceptsGzip("deflate, GZIP;q=0.3")).isTrue();
    assertThat(GatheredDownload.acceptsGzip("x-gzip")).isTrue();
    assertThat(GatheredDownload.acceptsGzip("gzip;q=0")).isFalse();
    assertThat(GatheredDownload.acceptsGzip("br, identity")).isFalse();
    assertThat(GatheredDownload.acceptsGzip(null)).isFalse();
  }
}
