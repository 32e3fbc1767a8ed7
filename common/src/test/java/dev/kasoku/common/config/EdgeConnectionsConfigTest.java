package dev.kasoku.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The edge's connection bounds: defaults, refusals by key, and the global cap against the open-file limit. */
class EdgeConnectionsConfigTest {
  @Test
  void defaultsAreTheDocumentedOnes() {
    KasokuConfig.EdgeConnections e = ConfigLoader.load(Map.of()).edgeConnections();
    assertThat(e.headerTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(e.keepAliveTimeout()).isEqualTo(Duration.ofSeconds(15));
    assertThat(e.bodyTimeout()).isEqualTo(Duration.ofSeconds(15));
    assertThat(e.maxPerClient()).isEqualTo(256);
    assertThat(e.maxTotal()).as("derived from the open-file limit").isZero();
  }

  @Test
  void eachKeyIsRead() {
    KasokuConfig.EdgeConnections e = ConfigLoader.load(Map.of("KASOKU_EDGE_HEADER_TIMEOUT", "2s",
        "KASOKU_EDGE_KEEPALIVE_TIMEOUT", "30s", "KASOKU_EDGE_BODY_TIMEOUT", "500ms",
        "KASOKU_EDGE_MAX_CONNECTIONS_PER_CLIENT", "64", "KASOKU_EDGE_MAX_CONNECTIONS", "5000")).edgeConnections();
    assertThat(e).isEqualTo(new KasokuConfig.EdgeConnections(Duration.ofSeconds(2), Duration.ofSeconds(30),
        Duration.ofMillis(500), 64, 5000));
  }

  @Test
  void badValuesAreRefusedNamingTheKey() {
    for (Map.Entry<String, String> bad : Map.of("KASOKU_EDGE_HEADER_TIMEOUT", "0s",
        "KASOKU_EDGE_KEEPALIVE_TIMEOUT", "2h", "KASOKU_EDGE_BODY_TIMEOUT", "soon",
        "KASOKU_EDGE_MAX_CONNECTIONS_PER_CLIENT", "0", "KASOKU_EDGE_MAX_CONNECTIONS", "-5").entrySet()) {
      ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(Map.of(bad.getKey(), bad.getValue())));
      assertThat(e).as(bad.toString()).isNotNull();
      assertThat(e.key()).isEqualTo(bad.getKey());
    }
  }

  @Test
  void theDerivedGlobalCapLeavesRoomForOriginConnectionsAndTheRest() {
    KasokuConfig.EdgeConnections auto = KasokuConfig.EdgeConnections.DEFAULTS;
    assertThat(auto.resolveMaxTotal(new OpenFileLimit(1500, 1500))).isEqualTo((1500 - 256) / 2);
    assertThat(auto.resolveMaxTotal(new OpenFileLimit(1_048_576, 1_048_576))).isEqualTo((1_048_576 - 256) / 2);
    assertThat(auto.resolveMaxTotal(new OpenFileLimit(OpenFileLimit.UNLIMITED, OpenFileLimit.UNLIMITED)))
        .isEqualTo(KasokuConfig.EdgeConnections.MAX_DERIVED_TOTAL);
  }

  @Test
  void aConfiguredGlobalCapAboveTheOpenFileLimitIsRefused() {
    KasokuConfig.EdgeConnections e = new KasokuConfig.EdgeConnections(Duration.ofSeconds(5), Duration.ofSeconds(15),
        Duration.ofSeconds(15), 256, 1600);
    ConfigException refused = catchThrowableOfType(ConfigException.class, () -> e.resolveMaxTotal(new OpenFileLimit(1500, 1500)));
    assertThat(refused.key()).isEqualTo("KASOKU_EDGE_MAX_CONNECTIONS");
    assertThat(refused.getMessage()).contains("1500").contains("ulimit -n");
    assertThat(e.resolveMaxTotal(new OpenFileLimit(4096, 4096))).isEqualTo(1600);
  }

  @Test
  void theOpenFileLimitIsParsedFromProcSelfLimits() {
    List<String> limits = List.of(
        "Limit                     Soft Limit           Hard Limit           Units     ",
        "Max cpu time              unlimited            unlimited            seconds   ",
        "Max open files            1024                 4096                 files     ");
    assertThat(OpenFileLimit.parse(limits)).isEqualTo(new OpenFileLimit(1024, 4096));
    assertThat(OpenFileLimit.parse(limits).belowHard()).isTrue();
    assertThat(OpenFileLimit.parse(List.of("Max open files unlimited unlimited files")).soft())
        .isEqualTo(OpenFileLimit.UNLIMITED);
    assertThat(OpenFileLimit.parse(List.of("nothing here"))).isNull();
  }

  /** On Linux the JVM raised the soft limit to the hard one before main ran (-XX:+MaxFDLimit). */
  @Test
  void thisJvmRunsWithItsSoftLimitRaisedToTheHardOne() {
    OpenFileLimit now = OpenFileLimit.current();
    assertThat(now.soft()).isPositive();
    if (System.getProperty("os.name").toLowerCase().contains("linux")) {
      assertThat(now.soft()).isEqualTo(now.hard());
    }
  }
}
