package dev.kasoku.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Start-up configuration: defaults, precedence of env over file, and refusal of bad values by key. */
class ConfigLoaderTest {
  private static final String SECRET = "0123456789abcdef0123456789abcdef";

  @Nested
  class Defaults {
    @Test
    void emptyEnvironmentGivesTheDocumentedDefaults() {
      KasokuConfig c = ConfigLoader.load(Map.of());
      assertThat(c.services()).isEqualTo(EnumSet.allOf(ServiceRole.class));
      assertThat(c.mode()).isEqualTo(KasokuConfig.Mode.DEV);
      assertThat(c.cluster().enabled()).isFalse();
      assertThat(c.cluster().host()).isEqualTo("127.0.0.1");
      assertThat(c.cluster().port()).isEqualTo(5701);
      assertThat(c.cluster().members()).isEmpty();
      assertThat(c.cluster().k8sServiceDns()).isEmpty();
      assertThat(c.cluster().eventBusPort()).isZero();
      assertThat(c.redisUrl()).isEmpty();
      assertThat(c.bindAddress()).isEqualTo("0.0.0.0");
      assertThat(c.edgePort()).isEqualTo(8080);
      assertThat(c.edgeTlsPort()).isEqualTo(8443);
      assertThat(c.apiPort()).isEqualTo(8081);
      assertThat(c.dataDir()).isEqualTo(Path.of("./data"));
      assertThat(c.logDir()).isEqualTo(Path.of("./data/logs"));
      assertThat(c.edgeMemoryBytes()).isEqualTo(Runtime.getRuntime().maxMemory() / 4);
      assertThat(c.secretKey()).isNull();
      assertThat(c.bootstrapToken()).isNull();
      assertThat(c.allowedOriginNetworks()).isEmpty();
      assertThat(c.trustedProxies()).isEmpty();
      assertThat(c.shutdownGrace()).isEqualTo(Duration.ofSeconds(8));
      assertThat(c.edgeLogBufferBytes()).isEqualTo(64L << 20);
      assertThat(c.peerPort()).as("any free port unless fixed").isZero();
      assertThat(c.auditRetention()).isEqualTo(Duration.ofDays(400));
      assertThat(c.edgeTlsProvider()).isEqualTo(KasokuConfig.TlsProvider.AUTO);
      assertThat(c.nodeId()).isNotBlank();
    }

    @Test
    void peerPortIsReadFromItsKey() {
      assertThat(ConfigLoader.load(Map.of("KASOKU_PEER_PORT", "8444")).peerPort()).isEqualTo(8444);
    }

    @Test
    void theAuditRetentionIsADurationOfAtLeastADay() {
      assertThat(ConfigLoader.load(Map.of("KASOKU_AUDIT_RETENTION", "730d")).auditRetention())
          .isEqualTo(Duration.ofDays(730));
      assertThatThrownBy(() -> ConfigLoader.load(Map.of("KASOKU_AUDIT_RETENTION", "12h")))
          .isInstanceOf(ConfigException.class).hasMessageContaining("KASOKU_AUDIT_RETENTION");
      assertThatThrownBy(() -> ConfigLoader.load(Map.of("KASOKU_AUDIT_RETENTION", "forever")))
          .isInstanceOf(ConfigException.class).hasMessageContaining("KASOKU_AUDIT_RETENTION");
    }

    @Test
    void edgeMemoryMayBeAShareOfTheMaxHeapSoItFollowsTheContainerLimit() {
      long heap = Runtime.getRuntime().maxMemory();
      assertThat(ConfigLoader.load(Map.of("KASOKU_EDGE_MEMORY", "75%")).edgeMemoryBytes())
          .isEqualTo((long) (heap * 0.75));
      assertThat(ConfigLoader.load(Map.of("KASOKU_EDGE_MEMORY", "100%")).edgeMemoryBytes()).isEqualTo(heap);
      assertThat(ConfigLoader.load(Map.of("KASOKU_EDGE_MEMORY", "25%")).edgeMemoryBytes())
          .isEqualTo(ConfigLoader.load(Map.of()).edgeMemoryBytes());
      assertThat(ConfigLoader.load(Map.of("KASOKU_EDGE_MEMORY", "512m")).edgeMemoryBytes()).isEqualTo(512L << 20);
    }

    @Test
    void logDirFollowsTheDataDirUnlessSet() {
      assertThat(ConfigLoader.load(Map.of("KASOKU_DATA_DIR", "/srv/kasoku")).logDir())
          .isEqualTo(Path.of("/srv/kasoku/logs"));
      assertThat(ConfigLoader.load(Map.of("KASOKU_DATA_DIR", "/srv/kasoku", "KASOKU_LOG_DIR", "/var/log/k")).logDir())
          .isEqualTo(Path.of("/var/log/k"));
    }

    @Test
    void environmentVariablesOutsideKasokuAreIgnored() {
      KasokuConfig c = ConfigLoader.load(Map.of("PATH", "/usr/bin", "KASOKUX", "1", "HOME", "/root"));
      assertThat(c.apiPort()).isEqualTo(8081);
    }

    @Test
    void valuesAreParsed() {
      KasokuConfig c = ConfigLoader.load(Map.of(
          "KASOKU_SERVICES", "cache-edge, purge",
          "KASOKU_CLUSTER", "true",
          "KASOKU_REDIS_URL", "redis://10.0.0.5:6379/2",
          "KASOKU_CLUSTER_MEMBERS", "10.0.0.1:5701,10.0.0.2:5701",
          "KASOKU_EDGE_MEMORY", "512m",
          "KASOKU_SHUTDOWN_GRACE", "20s",
          "KASOKU_EDGE_LOG_BUFFER", "16m",
          "KASOKU_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.0.0/16",
          "KASOKU_MODE", "production",
          "KASOKU_SECRET_KEY", SECRET));
      assertThat(c.services()).containsExactlyInAnyOrder(ServiceRole.CACHE_EDGE, ServiceRole.PURGE);
      assertThat(c.cluster().enabled()).isTrue();
      assertThat(c.cluster().members()).containsExactly("10.0.0.1:5701", "10.0.0.2:5701");
      assertThat(c.redisUrl()).contains("redis://10.0.0.5:6379/2");
      assertThat(c.edgeMemoryBytes()).isEqualTo(512L << 20);
      assertThat(c.shutdownGrace()).isEqualTo(Duration.ofSeconds(20));
      assertThat(c.edgeLogBufferBytes()).isEqualTo(16L << 20);
      assertThat(ConfigLoader.load(Map.of("KASOKU_EDGE_TLS_PROVIDER", "JDK")).edgeTlsProvider())
          .isEqualTo(KasokuConfig.TlsProvider.JDK);
      assertThat(ConfigLoader.load(Map.of("KASOKU_EDGE_TLS_PROVIDER", "openssl")).edgeTlsProvider())
          .isEqualTo(KasokuConfig.TlsProvider.OPENSSL);
      assertThat(c.edgePeerFill()).as("peer fill is on by default").isTrue();
      assertThat(ConfigLoader.load(Map.of("KASOKU_EDGE_PEER_FILL", "off")).edgePeerFill()).isFalse();
      assertThat(ConfigLoader.load(Map.of("KASOKU_EDGE_PEER_FILL", "ON")).edgePeerFill()).isTrue();
      assertThat(c.trustedProxies()).hasSize(2);
      assertThat(c.mode()).isEqualTo(KasokuConfig.Mode.PRODUCTION);
    }
  }

  @Test
  void aRegionLabelIsOptionalAndRefusedWhenItIsNotAPlainLabel() {
    assertThat(ConfigLoader.load(Map.of()).region()).isNull();
    assertThat(ConfigLoader.load(Map.of("KASOKU_REGION", "eu-central Frankfurt")).region()).isEqualTo("eu-central Frankfurt");
    ConfigException e = catchThrowableOfType(ConfigException.class,
        () -> ConfigLoader.load(Map.of("KASOKU_REGION", "<eu>")));
    assertThat(e.key()).isEqualTo("KASOKU_REGION");
  }

  @Nested
  class ConfigFile {
    @TempDir Path dir;

    @Test
    void environmentOverridesTheFile() throws Exception {
      Path file = dir.resolve("kasoku.json");
      Files.writeString(file, """
          {"KASOKU_API_PORT": 9000, "KASOKU_EDGE_PORT": "9001",
           "KASOKU_SERVICES": ["purge", "auth"], "KASOKU_CLUSTER": false}
          """);
      KasokuConfig c = ConfigLoader.load(Map.of("KASOKU_CONFIG", file.toString(), "KASOKU_API_PORT", "9100"));
      assertThat(c.apiPort()).isEqualTo(9100);
      assertThat(c.edgePort()).isEqualTo(9001);
      assertThat(c.services()).containsExactlyInAnyOrder(ServiceRole.PURGE, ServiceRole.AUTH);
      assertThat(c.cluster().enabled()).isFalse();
    }

    @Test
    void unknownKeyInTheFileIsRefused() throws Exception {
      Path file = dir.resolve("kasoku.json");
      Files.writeString(file, "{\"KASOKU_API_PROT\": 9000}");
      ConfigException e = catchThrowableOfType(ConfigException.class,
          () -> ConfigLoader.load(Map.of("KASOKU_CONFIG", file.toString())));
      assertThat(e.key()).isEqualTo("KASOKU_API_PROT");
    }

    @Test
    void nestedObjectInTheFileIsRefusedWithItsKey() throws Exception {
      Path file = dir.resolve("kasoku.json");
      Files.writeString(file, "{\"KASOKU_EDGE_PORT\": {\"port\": 1}}");
      ConfigException e = catchThrowableOfType(ConfigException.class,
          () -> ConfigLoader.load(Map.of("KASOKU_CONFIG", file.toString())));
      assertThat(e.key()).isEqualTo("KASOKU_EDGE_PORT");
    }

    @Test
    void unreadableOrMalformedFileNamesKasokuConfig() throws Exception {
      Path broken = dir.resolve("broken.json");
      Files.writeString(broken, "{not json");
      for (String path : new String[] {dir.resolve("missing.json").toString(), broken.toString()}) {
        ConfigException e = catchThrowableOfType(ConfigException.class,
            () -> ConfigLoader.load(Map.of("KASOKU_CONFIG", path)));
        assertThat(e.key()).isEqualTo("KASOKU_CONFIG");
        assertThat(e.getMessage()).contains(path);
      }
    }
  }

  @Nested
  class Refusals {
    static Stream<Arguments> badValues() {
      return Stream.of(
          Arguments.of("KASOKU_SERVICES", "cache-edge,search"),
          Arguments.of("KASOKU_SERVICES", ","),
          Arguments.of("KASOKU_MODE", "staging"),
          Arguments.of("KASOKU_CLUSTER", "maybe"),
          Arguments.of("KASOKU_CLUSTER_PORT", "0"),
          Arguments.of("KASOKU_CLUSTER_PORT", "70000"),
          Arguments.of("KASOKU_CLUSTER_MEMBERS", "10.0.0.1"),
          Arguments.of("KASOKU_CLUSTER_MEMBERS", "10.0.0.1:99999"),
          Arguments.of("KASOKU_EVENTBUS_PORT", "-1"),
          Arguments.of("KASOKU_REDIS_URL", "http://10.0.0.5:6379"),
          Arguments.of("KASOKU_BIND_ADDRESS", "localhost"),
          Arguments.of("KASOKU_EDGE_PORT", "eighty"),
          Arguments.of("KASOKU_EDGE_TLS_PORT", "65536"),
          Arguments.of("KASOKU_PEER_PORT", "65536"),
          Arguments.of("KASOKU_PEER_PORT", "peer"),
          Arguments.of("KASOKU_API_PORT", "8o81"),
          Arguments.of("KASOKU_EDGE_MEMORY", "lots"),
          Arguments.of("KASOKU_EDGE_MEMORY", "0"),
          Arguments.of("KASOKU_EDGE_MEMORY", "0%"),
          Arguments.of("KASOKU_EDGE_MEMORY", "101%"),
          Arguments.of("KASOKU_EDGE_MEMORY", "%"),
          Arguments.of("KASOKU_EDGE_LOG_BUFFER", "0"),
          Arguments.of("KASOKU_EDGE_LOG_BUFFER", "a lot"),
          Arguments.of("KASOKU_EDGE_TLS_PROVIDER", "boringssl"),
          Arguments.of("KASOKU_EDGE_PEER_FILL", "sometimes"),
          Arguments.of("KASOKU_ALLOWED_ORIGIN_NETWORKS", "10.0.0.0/33"),
          Arguments.of("KASOKU_TRUSTED_PROXIES", "proxy.example"),
          Arguments.of("KASOKU_SHUTDOWN_GRACE", "10"),
          Arguments.of("KASOKU_CONFIG", "/nonexistent/kasoku.json"));
    }

    @ParameterizedTest(name = "{0}={1}")
    @MethodSource("badValues")
    void badValueIsRefusedOnOneLineNamingKeyAndValue(String key, String value) {
      ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(Map.of(key, value)));
      assertThat(e).as("%s=%s must be refused", key, value).isNotNull();
      assertThat(e.key()).isEqualTo(key);
      assertThat(e.getMessage()).startsWith(key + "=").contains(value).doesNotContain("\n");
    }

    @Test
    void unknownKasokuKeyIsRefusedSoATypoNeverFallsBackToADefault() {
      ConfigException e = catchThrowableOfType(ConfigException.class,
          () -> ConfigLoader.load(Map.of("KASOKU_API_PROT", "9000")));
      assertThat(e.key()).isEqualTo("KASOKU_API_PROT");
      assertThat(e.getMessage()).contains("unknown");
    }

    @Test
    void shortSecretKeyIsRefusedWithoutEchoingIt() {
      ConfigException e = catchThrowableOfType(ConfigException.class,
          () -> ConfigLoader.load(Map.of("KASOKU_SECRET_KEY", "hunter2-secret")));
      assertThat(e.key()).isEqualTo("KASOKU_SECRET_KEY");
      assertThat(e.getMessage()).doesNotContain("hunter2");
    }

    @Test
    void productionModeRequiresASecretKey() {
      assertThatThrownBy(() -> ConfigLoader.load(Map.of("KASOKU_MODE", "production")))
          .isInstanceOf(ConfigException.class)
          .hasMessageStartingWith("KASOKU_SECRET_KEY=");
    }

    @Test
    void rolesSplitOverClusteredProcessesNeedTheSharedRedisStore() {
      Map<String, String> env = new HashMap<>(Map.of("KASOKU_CLUSTER", "true", "KASOKU_SERVICES", "cache-edge"));
      ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(env));
      assertThat(e.key()).isEqualTo("KASOKU_REDIS_URL");
      env.put("KASOKU_REDIS_URL", "redis://127.0.0.1:6379");
      assertThat(ConfigLoader.load(env).cluster().enabled()).isTrue();
    }
  }
}
