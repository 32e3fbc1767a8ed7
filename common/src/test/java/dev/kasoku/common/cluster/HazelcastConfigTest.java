package dev.kasoku.common.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MultiMapConfig;
import dev.kasoku.common.config.ConfigException;
import dev.kasoku.common.config.KasokuConfig;
import io.vertx.core.VertxOptions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What the programmatic Hazelcast config keeps from vertx-hazelcast's default and what it changes. */
class HazelcastConfigTest {

  private static KasokuConfig.ClusterSettings settings(List<String> members, Optional<String> dns) {
    return new KasokuConfig.ClusterSettings(true, "127.0.0.1", 5801, members, dns, 5802);
  }

  @Test
  void keepsTheStructuresVertxHazelcastNeeds() {
    Config config = ClusterBootstrap.hazelcastConfig(settings(List.of(), Optional.empty()));
    MultiMapConfig subs = config.getMultiMapConfig("__vertx.subs");
    assertThat(subs.getValueCollectionType()).isEqualTo(MultiMapConfig.ValueCollectionType.SET);
    assertThat(subs.getBackupCount()).isEqualTo(1);
    assertThat(config.getMapConfig("__vertx.haInfo").getBackupCount()).isEqualTo(1);
    assertThat(config.getMapConfig("__vertx.nodeInfo").getBackupCount()).isEqualTo(1);
    assertThat(config.getProperty("hazelcast.shutdownhook.enabled")).isEqualTo("false");
    assertThat(config.getProperty("hazelcast.phone.home.enabled")).isEqualTo("false");
  }

  @Test
  void deadMemberIsDroppedWithinFifteenSecondsNotSixty() {
    Config config = ClusterBootstrap.hazelcastConfig(settings(List.of(), Optional.empty()));
    assertThat(config.getProperty("hazelcast.heartbeat.interval.seconds")).isEqualTo("5");
    assertThat(config.getProperty("hazelcast.max.no.heartbeat.seconds")).isEqualTo("15");
  }

  /** A member dropped while frozen used to stay a cluster of its own for 300 s (Hazelcast's default merge delay). */
  @Test
  void aDroppedMemberLooksForTheRestOfTheClusterWithinSeconds() {
    Config config = ClusterBootstrap.hazelcastConfig(settings(List.of(), Optional.empty()));
    assertThat(config.getProperty("hazelcast.merge.first.run.delay.seconds")).isEqualTo("5");
    assertThat(config.getProperty("hazelcast.merge.next.run.delay.seconds")).isEqualTo("5");
  }

  @Test
  void joinsByExplicitMembersWithMulticastAndAutoDetectionOff() {
    Config config = ClusterBootstrap.hazelcastConfig(
        settings(List.of("127.0.0.1:5801", "127.0.0.1:5811"), Optional.empty()));
    JoinConfig join = config.getNetworkConfig().getJoin();
    assertThat(join.getMulticastConfig().isEnabled()).isFalse();
    assertThat(join.isAutoDetectionEnabled()).isFalse();
    assertThat(join.getKubernetesConfig().isEnabled()).isFalse();
    assertThat(join.getTcpIpConfig().isEnabled()).isTrue();
    assertThat(join.getTcpIpConfig().getMembers()).containsExactly("127.0.0.1:5801", "127.0.0.1:5811");
    assertThat(config.getNetworkConfig().getPort()).isEqualTo(5801);
    assertThat(config.getNetworkConfig().isPortAutoIncrement()).isFalse();
    assertThat(config.getNetworkConfig().getInterfaces().getInterfaces()).containsExactly("127.0.0.1");
  }

  @Test
  void withoutMembersAMemberJoinsOnlyItself() {
    Config config = ClusterBootstrap.hazelcastConfig(settings(List.of(), Optional.empty()));
    assertThat(config.getNetworkConfig().getJoin().getTcpIpConfig().getMembers()).containsExactly("127.0.0.1:5801");
  }

  @Test
  void kubernetesDnsDiscoveryReplacesTheMemberList() {
    Config config = ClusterBootstrap.hazelcastConfig(
        settings(List.of("127.0.0.1:5801"), Optional.of("kasoku-cluster.kasoku.svc.cluster.local")));
    JoinConfig join = config.getNetworkConfig().getJoin();
    assertThat(join.getTcpIpConfig().isEnabled()).isFalse();
    assertThat(join.getMulticastConfig().isEnabled()).isFalse();
    assertThat(join.getKubernetesConfig().isEnabled()).isTrue();
    assertThat(join.getKubernetesConfig().getProperty("service-dns")).isEqualTo("kasoku-cluster.kasoku.svc.cluster.local");
    assertThat(join.getKubernetesConfig().getProperty("service-port")).isEqualTo("5801");
  }

  @Test
  void eventBusListensOnTheClusterHostAndConfiguredPort() {
    VertxOptions options = ClusterBootstrap.vertxOptions(settings(List.of(), Optional.empty()));
    assertThat(options.getEventBusOptions().getHost()).isEqualTo("127.0.0.1");
    assertThat(options.getEventBusOptions().getPort()).isEqualTo(5802);
  }

  @Test
  void wildcardClusterHostIsRefusedWithItsKey() {
    KasokuConfig.ClusterSettings wildcard =
        new KasokuConfig.ClusterSettings(true, "0.0.0.0", 5801, List.of(), Optional.empty(), 0);
    assertThatThrownBy(() -> ClusterBootstrap.hazelcastConfig(wildcard))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("KASOKU_CLUSTER_HOST")
        .hasMessageContaining("0.0.0.0");
  }
}
