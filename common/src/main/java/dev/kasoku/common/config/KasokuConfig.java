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
 * @param edgeMemoryBytes the edge cache's byte budget (KASOKU_EDGE_MEMORY: bytes, or a share of the
 *     max heap such as {@code 75%})
 * @param secretKey encrypts secrets at rest and signs tokens; null only in dev mode
 * @param bootstrapToken the first operator credential; null means generate and log once
 * @param allowedOriginNetworks private/loopback networks that sites may use as origins
 * @param trustedProxies networks whose X-Forwarded-For is believed
 * @param shutdownGrace how long in-flight work may take after SIGTERM
 * @param edgeMaxObjectBytes responses larger than this are streamed through the edge, never stored
 *     (KASOKU_EDGE_MAX_OBJECT)
 * @param edgeConnections how the edge bounds client connections (timeouts and caps)
 * @param metricsToken bearer token required for /metrics on the API port; null: /metrics is open
 *     (KASOKU_METRICS_TOKEN)
 * @param edgeLogBufferBytes access-log records an edge process keeps while no logging instance
 *     acknowledges them; past it the oldest are dropped, counted and announced (KASOKU_EDGE_LOG_BUFFER)
 * @param peerPort the edge's authenticated peer listener on the cluster network, bound on the
 *     cluster host when the process is clustered (KASOKU_PEER_PORT; 0: a free port, announced in
 *     the store's edge table)
 * @param region the deployment's region label shown to tenants as where their data is kept
 *     (KASOKU_REGION: letters, digits, space, {@code . _ -}, at most 64); null: not labelled
 * @param auditRetention how long audit records are kept before they are cut off the front of their
 *     chain, leaving a checkpoint (KASOKU_AUDIT_RETENTION, at least 1d)
 * @param edgeTlsProvider which TLS implementation the edge's HTTPS listener uses (KASOKU_EDGE_TLS_PROVIDER)
 * @param edgePeerFill whether a clustered edge fills misses for keys another edge owns through that
 *     owner (KASOKU_EDGE_PEER_FILL, {@code on} by default; it changes nothing until a second edge joins;
 *     {@code off}: every edge caches on its own)
 * @param edgeWarmUp how long at most a starting edge sends itself synthetic requests through its own
 *     listeners (hits, misses, TLS handshakes, against an internal loopback origin and an internal
 *     site no tenant can address) before it reports ready, so that the first real clients meet
 *     compiled code (KASOKU_EDGE_WARMUP, {@link #DEFAULT_EDGE_WARMUP} by default; 0 or {@code off}:
 *     none)
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
    EdgeConnections edgeConnections,
    String metricsToken,
    long edgeLogBufferBytes,
    int peerPort,
    String region,
    Duration auditRetention,
    TlsProvider edgeTlsProvider,
    boolean edgePeerFill,
    Duration edgeWarmUp) {

  public static final int DEFAULT_EDGE_PORT = 8080;
  public static final int DEFAULT_EDGE_TLS_PORT = 8443;
  public static final int DEFAULT_API_PORT = 8081;
  public static final String DEFAULT_DATA_DIR = "./data";
  /** The edge cache's default budget as a share of the max heap. */
  public static final int DEFAULT_EDGE_MEMORY_PERCENT = 25;
  public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(8);
  /** Largest response body the edge stores (64 MiB); larger ones are streamed, not stored. */
  public static final long DEFAULT_EDGE_MAX_OBJECT = 64L << 20;
  /** Access-log records an edge keeps unacknowledged (64 MiB: minutes of a busy edge's records). */
  public static final long DEFAULT_EDGE_LOG_BUFFER = 64L << 20;
  /**
   * The peer port by default: any free port (the edge announces the one it bound in the store), so a
   * clustered process never collides with another on the same host; Kubernetes fixes it (8444).
   */
  public static final int DEFAULT_PEER_PORT = 0;
  /** Audit records kept 400 days: a year of records plus a month, for an annual audit that runs late. */
  public static final Duration DEFAULT_AUDIT_RETENTION = Duration.ofDays(400);
  /**
   * The edge's warm-up before readiness at most: on a 2-core machine a restarted edge then serves
   * 90 % of its warm rate 3 s after readiness (7-9 s after a 5 s warm-up; docs/performance.md,
   * HTTPS). It ends earlier once the rate stops rising and the JIT is quiet, which on two cores did
   * not happen within 15 s.
   */
  public static final Duration DEFAULT_EDGE_WARMUP = Duration.ofSeconds(15);
  /** Longest warm-up accepted: a readiness delayed further is an outage of its own. */
  public static final Duration MAX_EDGE_WARMUP = Duration.ofSeconds(60);
  /** Minimum secret key length in characters; shorter keys are guessable. */
  public static final int MIN_SECRET_KEY_LENGTH = 32;

  /** dev: generated secrets are allowed; production: every secret must be configured. */
  public enum Mode { DEV, PRODUCTION }

  /**
   * The TLS implementation of the edge's HTTPS listener: {@code OPENSSL} (BoringSSL through Netty's
   * tcnative, and a start failure where it cannot load), {@code JDK} (the JVM's own provider), or
   * {@code AUTO} (OpenSSL where it loads, else the JDK's).
   */
  public enum TlsProvider { AUTO, OPENSSL, JDK }

  public KasokuConfig {
    services = Set.copyOf(services);
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(redisUrl, "redisUrl");
    allowedOriginNetworks = List.copyOf(allowedOriginNetworks);
    trustedProxies = List.copyOf(trustedProxies);
    Objects.requireNonNull(edgeConnections, "edgeConnections");
    Objects.requireNonNull(edgeTlsProvider, "edgeTlsProvider");
    if (edgeMaxObjectBytes <= 0) {
      throw new ConfigException("KASOKU_EDGE_MAX_OBJECT", String.valueOf(edgeMaxObjectBytes), "must be positive");
    }
    if (edgeLogBufferBytes <= 0) {
      throw new ConfigException("KASOKU_EDGE_LOG_BUFFER", String.valueOf(edgeLogBufferBytes), "must be positive");
    }
    if (peerPort < 0 || peerPort > 65535) {
      throw new ConfigException("KASOKU_PEER_PORT", String.valueOf(peerPort), "must be a port (0-65535)");
    }
    Objects.requireNonNull(auditRetention, "auditRetention");
    Objects.requireNonNull(edgeWarmUp, "edgeWarmUp");
    if (edgeWarmUp.isNegative() || edgeWarmUp.compareTo(MAX_EDGE_WARMUP) > 0) {
      throw new ConfigException("KASOKU_EDGE_WARMUP", edgeWarmUp.toString(), "must be between 0 (off) and 60s");
    }
    if (auditRetention.compareTo(Duration.ofDays(1)) < 0) {
      throw new ConfigException("KASOKU_AUDIT_RETENTION", auditRetention.toString(), "must be at least 1d");
    }
    if (metricsToken != null && metricsToken.isBlank()) {
      throw new ConfigException("KASOKU_METRICS_TOKEN", "", "must not be blank (leave it unset for an open /metrics)");
    }
    if (region != null && !region.matches("[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}")) {
      throw new ConfigException("KASOKU_REGION", region, "must be 1 to 64 letters, digits, spaces, '.', '_' or '-'");
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
        shutdownGrace, DEFAULT_EDGE_MAX_OBJECT, EdgeConnections.DEFAULTS, null, DEFAULT_EDGE_LOG_BUFFER);
  }

  /** The configuration with the default peer port, audit retention and TLS provider, and no region label. */
  public KasokuConfig(Set<ServiceRole> services, Mode mode, String nodeId, ClusterSettings cluster,
                      Optional<String> redisUrl, String bindAddress, int edgePort, int edgeTlsPort,
                      int apiPort, Path dataDir, Path logDir, long edgeMemoryBytes, String secretKey,
                      String bootstrapToken, List<Cidr> allowedOriginNetworks, List<Cidr> trustedProxies,
                      Duration shutdownGrace, long edgeMaxObjectBytes, EdgeConnections edgeConnections,
                      String metricsToken, long edgeLogBufferBytes) {
    this(services, mode, nodeId, cluster, redisUrl, bindAddress, edgePort, edgeTlsPort, apiPort, dataDir,
        logDir, edgeMemoryBytes, secretKey, bootstrapToken, allowedOriginNetworks, trustedProxies,
        shutdownGrace, edgeMaxObjectBytes, edgeConnections, metricsToken, edgeLogBufferBytes, DEFAULT_PEER_PORT,
        null, DEFAULT_AUDIT_RETENTION, TlsProvider.AUTO, true);
  }

  /**
   * The configuration without an edge warm-up (configurations built by hand: tests and tools, whose
   * edges must answer at once); {@link ConfigLoader} applies {@link #DEFAULT_EDGE_WARMUP}.
   */
  public KasokuConfig(Set<ServiceRole> services, Mode mode, String nodeId, ClusterSettings cluster,
                      Optional<String> redisUrl, String bindAddress, int edgePort, int edgeTlsPort,
                      int apiPort, Path dataDir, Path logDir, long edgeMemoryBytes, String secretKey,
                      String bootstrapToken, List<Cidr> allowedOriginNetworks, List<Cidr> trustedProxies,
                      Duration shutdownGrace, long edgeMaxObjectBytes, EdgeConnections edgeConnections,
                      String metricsToken, long edgeLogBufferBytes, int peerPort, String region,
                      Duration auditRetention, TlsProvider edgeTlsProvider, boolean edgePeerFill) {
    this(services, mode, nodeId, cluster, redisUrl, bindAddress, edgePort, edgeTlsPort, apiPort, dataDir,
        logDir, edgeMemoryBytes, secretKey, bootstrapToken, allowedOriginNetworks, trustedProxies,
        shutdownGrace, edgeMaxObjectBytes, edgeConnections, metricsToken, edgeLogBufferBytes, peerPort,
        region, auditRetention, edgeTlsProvider, edgePeerFill, Duration.ZERO);
  }

  /** The same configuration with another edge warm-up bound (tests). */
  public KasokuConfig withEdgeWarmUp(Duration warmUp) {
    return new KasokuConfig(services, mode, nodeId, cluster, redisUrl, bindAddress, edgePort, edgeTlsPort, apiPort,
        dataDir, logDir, edgeMemoryBytes, secretKey, bootstrapToken, allowedOriginNetworks, trustedProxies,
        shutdownGrace, edgeMaxObjectBytes, edgeConnections, metricsToken, edgeLogBufferBytes, peerPort, region,
        auditRetention, edgeTlsProvider, edgePeerFill, warmUp);
  }

  public boolean runs(ServiceRole role) {
    return services.contains(role);
  }

  /**
   * How the edge bounds its client connections; the reasons for each default are in
   * docs/operations.md ("Client connections").
   *
   * @param headerTimeout a request head must be complete this long after its first byte (or after
   *     the connection was accepted); a trickle cannot extend it (KASOKU_EDGE_HEADER_TIMEOUT)
   * @param keepAliveTimeout an idle kept-alive connection is closed after this long (KASOKU_EDGE_KEEPALIVE_TIMEOUT)
   * @param bodyTimeout longest gap between two reads of a request body (KASOKU_EDGE_BODY_TIMEOUT)
   * @param maxPerClient concurrent connections one client address may hold (KASOKU_EDGE_MAX_CONNECTIONS_PER_CLIENT)
   * @param maxTotal concurrent client connections of the process; 0: derived from the open-file
   *     limit (KASOKU_EDGE_MAX_CONNECTIONS)
   */
  public record EdgeConnections(Duration headerTimeout, Duration keepAliveTimeout, Duration bodyTimeout,
                                int maxPerClient, int maxTotal) {
    public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_KEEP_ALIVE_TIMEOUT = Duration.ofSeconds(15);
    public static final Duration DEFAULT_BODY_TIMEOUT = Duration.ofSeconds(15);
    public static final int DEFAULT_MAX_PER_CLIENT = 256;
    /** Longest timeout accepted: beyond it a "timeout" no longer protects anything. */
    public static final Duration MAX_TIMEOUT = Duration.ofHours(1);
    /**
     * Open files kept out of the global connection cap for everything that is not a client
     * connection: the jar and libraries, the store, spools, cluster and bus sockets, epoll.
     */
    public static final long RESERVED_FILES = 256;
    /** Highest derived global cap, whatever the open-file limit. */
    public static final int MAX_DERIVED_TOTAL = 1_000_000;
    public static final EdgeConnections DEFAULTS = new EdgeConnections(DEFAULT_HEADER_TIMEOUT,
        DEFAULT_KEEP_ALIVE_TIMEOUT, DEFAULT_BODY_TIMEOUT, DEFAULT_MAX_PER_CLIENT, 0);

    public EdgeConnections {
      timeout("KASOKU_EDGE_HEADER_TIMEOUT", headerTimeout);
      timeout("KASOKU_EDGE_KEEPALIVE_TIMEOUT", keepAliveTimeout);
      timeout("KASOKU_EDGE_BODY_TIMEOUT", bodyTimeout);
      if (maxPerClient < 1) {
        throw new ConfigException("KASOKU_EDGE_MAX_CONNECTIONS_PER_CLIENT", String.valueOf(maxPerClient),
            "must be at least 1");
      }
      if (maxTotal < 0) {
        throw new ConfigException("KASOKU_EDGE_MAX_CONNECTIONS", String.valueOf(maxTotal),
            "must be a positive number (or absent: derived from the open-file limit)");
      }
    }

    private static void timeout(String key, Duration d) {
      Objects.requireNonNull(d, key);
      if (d.isNegative() || d.isZero() || d.compareTo(MAX_TIMEOUT) > 0) {
        throw new ConfigException(key, Sizes.formatDuration(d), "must be above 0 and at most 1h");
      }
    }

    /**
     * The global cap for a process with this open-file limit: the configured one when it fits under
     * the limit (refused otherwise: past the limit every accept fails and established connections
     * lose their origin sockets), else half of what the limit leaves after {@link #RESERVED_FILES}
     * (each client connection may need an origin connection too).
     */
    public int resolveMaxTotal(OpenFileLimit files) {
      long usable = files.soft() - RESERVED_FILES;
      if (maxTotal > 0) {
        if (maxTotal > usable) {
          throw new ConfigException("KASOKU_EDGE_MAX_CONNECTIONS", String.valueOf(maxTotal),
              "above what the open-file limit allows (soft limit " + files.soft() + " minus " + RESERVED_FILES
                  + " reserved); raise the limit (ulimit -n) or lower the cap");
        }
        return maxTotal;
      }
      return (int) Math.max(1, Math.min(MAX_DERIVED_TOTAL, usable / 2));
    }
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
