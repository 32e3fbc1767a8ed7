package dev.kasoku.common.config;

import dev.kasoku.common.net.Cidr;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The whole start-up configuration of one Kasoku process, read once by {@link ConfigLoader} and
 * passed down; nothing reads the environment after that. Every field is already validated: the
 * compact constructor refuses impossible combinations with the key that is wrong.
 *
 * @param services roles this process runs (KASOKU_SERVICES)
 * @param mode dev or production (KASOKU_MODE): production refuses to start without a secret key
 * @param nodeId this process's name on the bus, in Cache-Status and in acks (KASOKU_NODE_ID)
 * @param cluster clustered event bus settings
 * @param redisUrl the Redis store; empty selects the embedded store in {@code dataDir}
 * @param bindAddress address the HTTP listeners bind (KASOKU_BIND_ADDRESS)
 * @param edgePort edge HTTP port
 * @param edgeTlsPort edge HTTPS port
 * @param apiPort control-plane API port
 * @param dataDir embedded store, spools
 * @param logDir stored access logs
 * @param edgeMemoryBytes the edge cache's byte budget
 * @param secretKey encrypts secrets at rest and signs tokens; null only in dev mode
 * @param bootstrapToken the first operator credential; null means generate and log once
 * @param allowedOriginNetworks private/loopback networks that sites may use as origins
 * @param trustedProxies networks whose X-Forwarded-For is believed
 * @param shutdownGrace how long in-flight work may take after SIGTERM
 * @param edgeMaxObjectBytes responses larger than this are streamed through the edge, never stored
 *     (KASOKU_EDGE_MAX_OBJECT)
 * @param metricsToken bearer token required for /metrics on the API port; null: /metrics is open
 *     (KASOKU_METRICS_TOKEN)
 */
public record KasokuConfig(
    Set<ServiceRole> services,
    Mode mode,
    String nodeId,
    ClusterSettings cluster,
    Optional<String> redisUrl,
    String bindAddress,
    int edgePort,
    int edgeTlsPort,
    int apiPort,
    Path dataDir,
    Path logDir,
    long edgeMemoryBytes,
    String secretKey,
    String bootstrapToken,
    List<Cidr> allowedOriginNetworks,
    List<Cidr> trustedProxies,
    Duration shutdownGrace,
    long edgeMaxObjectBytes,
    String metricsToken) {

  public static final int DEFAULT_EDGE_PORT = 8080;
  public static final int DEFAULT_EDGE_TLS_PORT = 8443;
  public static final int DEFAULT_API_PORT = 8081;
  public static final String DEFAULT_DATA_DIR = "./data";
  public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(8);
  /** Largest response body the edge stores (64 MiB); larger ones are streamed, not stored. */
  public static final long DEFAULT_EDGE_MAX_OBJECT = 64L << 20;
  /** Minimum secret key length in characters; shorter keys are guessable. */
  public static final int MIN_SECRET_KEY_LENGTH = 32;

  /** dev: generated secrets are allowed; production: every secret must be configured. */
  public enum Mode { DEV, PRODUCTION }

  public KasokuConfig {
    services = Set.copyOf(services);
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(redisUrl, "redisUrl");
    allowedOriginNetworks = List.copyOf(allowedOriginNetworks);
    trustedProxies = List.copyOf(trustedProxies);
    if (edgeMaxObjectBytes <= 0) {
      throw new ConfigException("KASOKU_EDGE_MAX_OBJECT", String.valueOf(edgeMaxObjectBytes), "must be positive");
    }
    if (metricsToken != null && metricsToken.isBlank()) {
      throw new ConfigException("KASOKU_METRICS_TOKEN", "", "must not be blank (leave it unset for an open /metrics)");
    }
    if (mode == Mode.PRODUCTION && secretKey == null) {
      throw new ConfigException("KASOKU_SECRET_KEY", null, "required when KASOKU_MODE=production");
    }
    if (secretKey != null && secretKey.length() < MIN_SECRET_KEY_LENGTH) {
      throw new ConfigException("KASOKU_SECRET_KEY", "<" + secretKey.length() + " characters>",
          "must be at least " + MIN_SECRET_KEY_LENGTH + " characters");
    }
    if (cluster.enabled() && redisUrl.isEmpty() && services.size() < ServiceRole.values().length) {
      throw new ConfigException("KASOKU_REDIS_URL", null,
          "required when KASOKU_CLUSTER=true splits the roles over processes: they must share one store");
    }
  }

  /** The configuration without the edge's max object size (the default applies). */
  public KasokuConfig(Set<ServiceRole> services, Mode mode, String nodeId, ClusterSettings cluster,
                      Optional<String> redisUrl, String bindAddress, int edgePort, int edgeTlsPort,
                      int apiPort, Path dataDir, Path logDir, long edgeMemoryBytes, String secretKey,
                      String bootstrapToken, List<Cidr> allowedOriginNetworks, List<Cidr> trustedProxies,
                      Duration shutdownGrace) {
    this(services, mode, nodeId, cluster, redisUrl, bindAddress, edgePort, edgeTlsPort, apiPort, dataDir,
        logDir, edgeMemoryBytes, secretKey, bootstrapToken, allowedOriginNetworks, trustedProxies,
        shutdownGrace, DEFAULT_EDGE_MAX_OBJECT, null);
  }

  public boolean runs(ServiceRole role) {
    return services.contains(role);
  }

  /** Clustered event bus (Hazelcast) settings. */
  public record ClusterSettings(
      boolean enabled,
      String host,
      int port,
      List<String> members,
      Optional<String> k8sServiceDns,
      int eventBusPort) {
    public static final int DEFAULT_PORT = 5701;

    public ClusterSettings {
      members = List.copyOf(members);
      Objects.requireNonNull(k8sServiceDns, "k8sServiceDns");
    }
  }
}
