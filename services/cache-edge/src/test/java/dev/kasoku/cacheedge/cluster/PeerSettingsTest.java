package dev.kasoku.cacheedge.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kasoku.common.config.ConfigLoader;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which processes open a peer port, and where. */
class PeerSettingsTest {
  @Test
  void aProcessThatIsNotClusteredOpensNoPeerPort() {
    assertThat(PeerSettings.from(ConfigLoader.load(Map.of()))).isEmpty();
    assertThat(PeerSettings.from(ConfigLoader.load(Map.of("KASOKU_PEER_PORT", "8444")))).isEmpty();
  }

  @Test
  void aClusteredProcessListensOnTheClusterHostAndThePeerPort() {
    PeerSettings s = PeerSettings.from(ConfigLoader.load(Map.of("KASOKU_CLUSTER", "true",
        "KASOKU_CLUSTER_HOST", "10.1.2.3", "KASOKU_BIND_ADDRESS", "0.0.0.0", "KASOKU_PEER_PORT", "8444"))).orElseThrow();
    assertThat(s.host()).as("the cluster network, not the public bind address").isEqualTo("10.1.2.3");
    assertThat(s.port()).isEqualTo(8444);
    assertThat(s.connectTimeout()).isEqualTo(Duration.ofMillis(50));
    assertThat(PeerSettings.from(ConfigLoader.load(Map.of("KASOKU_CLUSTER", "true"))).orElseThrow().port())
        .as("a free port unless fixed").isZero();
  }

  @Test
  void aLeaseThatDoesNotOutlastTheHeartbeatIsRefused() {
    assertThatThrownBy(() -> PeerSettings.loopback(new byte[32]).withTimings(Duration.ofSeconds(2), Duration.ofSeconds(2)))
        .hasMessageContaining("lease");
  }
}
