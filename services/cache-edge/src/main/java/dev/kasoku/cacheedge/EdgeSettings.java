package dev.kasoku.cacheedge;

import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.config.OpenFileLimit;
import dev.kasoku.common.net.Cidr;
import java.util.List;

/**
 * The edge's tunables, derived once from {@link KasokuConfig} (tests build their own with short
 * timeouts). Defaults are named constants.
 *
 * @param instances edge server verticles (one event loop each)
 * @param bindAddress listener address
 * @param port edge HTTP port (0: any free port)
 * @param memoryBytes storage byte budget
 * @param maxObjectBytes largest stored body
 * @param maxVariants variants kept per URL
 * @param collapseWaitMs how long a request waits for a collapsed fill before fetching itself
 * @param connectTimeoutMs origin connect timeout
 * @param readTimeoutMs origin read (idle) timeout: no byte for this long fails the exchange
 * @param originDownMs how long a failing origin is avoided
 * @param maxHeaderBytes largest request header section (431 beyond)
 * @param maxUriBytes longest request line (414 beyond)
 * @param h2MaxConcurrentStreams HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS
 * @param h2RstFloodMax RST_STREAM frames a client may send per {@code h2RstFloodWindowSeconds}
 * @param h2RstFloodWindowSeconds window of the reset-flood counter
 * @param siteRefreshMs period of the change-epoch check
 * @param allowedOriginNetworks private networks origins may use
 * @param trustedProxies peers whose X-Forwarded-For is kept
 * @param nodeId name in Via and telemetry
 * @param connections how client connections are bounded and drained
 * @param logBufferBytes access-log records the process keeps while no logging instance acknowledges
 *     them (shared out over the instances); past it the oldest are dropped and announced
 */
public record EdgeSettings(
    int instances,
    String bindAddress,
    int port,
    long memoryBytes,
    long maxObjectBytes,
    int maxVariants,
    long collapseWaitMs,
    long connectTimeoutMs,
    long readTimeoutMs,
    long originDownMs,
    int maxHeaderBytes,
    int maxUriBytes,
    long h2MaxConcurrentStreams,
    int h2RstFloodMax,
    int h2RstFloodWindowSeconds,
    long siteRefreshMs,
    List<Cidr> allowedOriginNetworks,
    List<Cidr> trustedProxies,
    String nodeId,
    Connections connections,
    long logBufferBytes) {

  public static final long DEFAULT_COLLAPSE_WAIT_MS = 8000;
  public static final long DEFAULT_CONNECT_TIMEOUT_MS = 5000;
  public static final long DEFAULT_READ_TIMEOUT_MS = 30_000;
  public static final long DEFAULT_ORIGIN_DOWN_MS = 10_000;
  public static final int DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
  public static final int DEFAULT_MAX_URI_BYTES = 8 * 1024 + 64;
  public static final long DEFAULT_H2_MAX_STREAMS = 100;
  public static final int DEFAULT_H2_RST_FLOOD_MAX = 200;
  public static final int DEFAULT_H2_RST_FLOOD_WINDOW_S = 30;
  public static final long DEFAULT_SITE_REFRESH_MS = 1000;

  public EdgeSettings {
    if (instances < 1) {
      throw new IllegalArgumentException("instances must be at least 1");
    }
    allowedOriginNetworks = List.copyOf(allowedOriginNetworks);
    trustedProxies = List.copyOf(trustedProxies);
    java.util.Objects.requireNonNull(connections, "connections");
    if (logBufferBytes < 1) {
      throw new IllegalArgumentException("logBufferBytes must be positive");
    }
  }

  /** The settings with the default access-log buffer. */
  public EdgeSettings(int instances, String bindAddress, int port, long memoryBytes, long maxObjectBytes,
                      int maxVariants, long collapseWaitMs, long connectTimeoutMs, long readTimeoutMs,
                      long originDownMs, int maxHeaderBytes, int maxUriBytes, long h2MaxConcurrentStreams,
                      int h2RstFloodMax, int h2RstFloodWindowSeconds, long siteRefreshMs,
                      List<Cidr> allowedOriginNetworks, List<Cidr> trustedProxies, String nodeId,
                      Connections connections) {
    this(instances, bindAddress, port, memoryBytes, maxObjectBytes, maxVariants, collapseWaitMs, connectTimeoutMs,
        readTimeoutMs, originDownMs, maxHeaderBytes, maxUriBytes, h2MaxConcurrentStreams, h2RstFloodMax,
        h2RstFloodWindowSeconds, siteRefreshMs, allowedOriginNetworks, trustedProxies, nodeId, connections,
        KasokuConfig.DEFAULT_EDGE_LOG_BUFFER);
  }

  /** The settings with the default connection bounds (tests that do not look at them). */
  public EdgeSettings(int instances, String bindAddress, int port, long memoryBytes, long maxObjectBytes,
                      int maxVariants, long collapseWaitMs, long connectTimeoutMs, long readTimeoutMs,
                      long originDownMs, int maxHeaderBytes, int maxUriBytes, long h2MaxConcurrentStreams,
                      int h2RstFloodMax, int h2RstFloodWindowSeconds, long siteRefreshMs,
                      List<Cidr> allowedOriginNetworks, List<Cidr> trustedProxies, String nodeId) {
    this(instances, bindAddress, port, memoryBytes, maxObjectBytes, maxVariants, collapseWaitMs, connectTimeoutMs,
        readTimeoutMs, originDownMs, maxHeaderBytes, maxUriBytes, h2MaxConcurrentStreams, h2RstFloodMax,
        h2RstFloodWindowSeconds, siteRefreshMs, allowedOriginNetworks, trustedProxies, nodeId, Connections.DEFAULTS);
  }

  /**
   * How the edge bounds its client connections (docs/operations.md, "Client connections"): the
   * HTTP/1.x timeouts {@link dev.kasoku.cacheedge.engine.StrictFraming} enforces, the caps on
   * concurrent connections ({@link dev.kasoku.cacheedge.engine.ConnectionLimits}), the HTTP/2
   * control-frame bounds, and how long a shutdown lets requests in flight finish.
   *
   * @param headerTimeoutMs a request head must be complete this long after its first byte (or the accept)
   * @param keepAliveTimeoutMs an idle kept-alive connection is closed after this long
   * @param bodyTimeoutMs longest gap between two reads of a request body
   * @param maxPerClient concurrent connections one client address may hold (trusted proxies exempt)
   * @param maxTotal concurrent client connections of the process
   * @param h2PingsPerWindow HTTP/2 PING frames a connection may send per {@code h2WindowMs}
   * @param h2SettingsPerWindow HTTP/2 SETTINGS frames a connection may send per {@code h2WindowMs}
   * @param h2WindowMs window of the two HTTP/2 counters
   * @param drainMs how long a shutdown lets requests in flight finish
   */
  public record Connections(long headerTimeoutMs, long keepAliveTimeoutMs, long bodyTimeoutMs, int maxPerClient,
                            int maxTotal, int h2PingsPerWindow, int h2SettingsPerWindow, long h2WindowMs,
                            long drainMs) {
    public static final int DEFAULT_H2_PINGS_PER_WINDOW = 100;
    public static final int DEFAULT_H2_SETTINGS_PER_WINDOW = 20;
    public static final long DEFAULT_H2_WINDOW_MS = 10_000;
    /** The defaults, with a fixed global cap of 10,000 (settings built by hand: tests, tools). */
    public static final Connections DEFAULTS = new Connections(
        KasokuConfig.EdgeConnections.DEFAULT_HEADER_TIMEOUT.toMillis(),
        KasokuConfig.EdgeConnections.DEFAULT_KEEP_ALIVE_TIMEOUT.toMillis(),
        KasokuConfig.EdgeConnections.DEFAULT_BODY_TIMEOUT.toMillis(),
        KasokuConfig.EdgeConnections.DEFAULT_MAX_PER_CLIENT, 10_000, DEFAULT_H2_PINGS_PER_WINDOW,
        DEFAULT_H2_SETTINGS_PER_WINDOW, DEFAULT_H2_WINDOW_MS, KasokuConfig.DEFAULT_SHUTDOWN_GRACE.toMillis());

    public Connections {
      if (maxPerClient < 1 || maxTotal < 1) {
        throw new IllegalArgumentException("connection caps must be at least 1");
      }
    }

    /** From the process config, the global cap resolved against the open-file limit. */
    static Connections from(KasokuConfig c, OpenFileLimit files) {
      KasokuConfig.EdgeConnections e = c.edgeConnections();
      return new Connections(e.headerTimeout().toMillis(), e.keepAliveTimeout().toMillis(),
          e.bodyTimeout().toMillis(), e.maxPerClient(), e.resolveMaxTotal(files), DEFAULT_H2_PINGS_PER_WINDOW,
          DEFAULT_H2_SETTINGS_PER_WINDOW, DEFAULT_H2_WINDOW_MS, c.shutdownGrace().toMillis());
    }

    public Connections withTimeouts(long header, long keepAlive, long body) {
      return new Connections(header, keepAlive, body, maxPerClient, maxTotal, h2PingsPerWindow, h2SettingsPerWindow,
          h2WindowMs, drainMs);
    }

    public Connections withCaps(int perClient, int total) {
      return new Connections(headerTimeoutMs, keepAliveTimeoutMs, bodyTimeoutMs, perClient, total, h2PingsPerWindow,
          h2SettingsPerWindow, h2WindowMs, drainMs);
    }

    public Connections withH2Bounds(int pings, int settings) {
      return new Connections(headerTimeoutMs, keepAliveTimeoutMs, bodyTimeoutMs, maxPerClient, maxTotal, pings,
          settings, h2WindowMs, drainMs);
    }

    public Connections withDrainMs(long ms) {
      return new Connections(headerTimeoutMs, keepAliveTimeoutMs, bodyTimeoutMs, maxPerClient, maxTotal,
          h2PingsPerWindow, h2SettingsPerWindow, h2WindowMs, ms);
    }
  }

  /** The production settings for a process configuration. */
  public static EdgeSettings from(KasokuConfig c) {
    return new EdgeSettings(Runtime.getRuntime().availableProcessors(), c.bindAddress(), c.edgePort(),
        c.edgeMemoryBytes(), c.edgeMaxObjectBytes(), dev.kasoku.cacheedge.storage.MemoryStorage.DEFAULT_MAX_VARIANTS,
        DEFAULT_COLLAPSE_WAIT_MS, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_READ_TIMEOUT_MS, DEFAULT_ORIGIN_DOWN_MS,
        DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_URI_BYTES, DEFAULT_H2_MAX_STREAMS, DEFAULT_H2_RST_FLOOD_MAX,
        DEFAULT_H2_RST_FLOOD_WINDOW_S, DEFAULT_SITE_REFRESH_MS, c.allowedOriginNetworks(), c.trustedProxies(),
        c.nodeId(), Connections.from(c, OpenFileLimit.current()), c.edgeLogBufferBytes());
  }

  public EdgeSettings withConnections(Connections c) {
    return new EdgeSettings(instances, bindAddress, port, memoryBytes, maxObjectBytes, maxVariants, collapseWaitMs,
        connectTimeoutMs, readTimeoutMs, originDownMs, maxHeaderBytes, maxUriBytes, h2MaxConcurrentStreams,
        h2RstFloodMax, h2RstFloodWindowSeconds, siteRefreshMs, allowedOriginNetworks, trustedProxies, nodeId, c,
        logBufferBytes);
  }

  /** The same settings on another port (instances after the first bind the one the first chose). */
  public EdgeSettings withPort(int p) {
    return new EdgeSettings(instances, bindAddress, p, memoryBytes, maxObjectBytes, maxVariants, collapseWaitMs,
        connectTimeoutMs, readTimeoutMs, originDownMs, maxHeaderBytes, maxUriBytes, h2MaxConcurrentStreams,
        h2RstFloodMax, h2RstFloodWindowSeconds, siteRefreshMs, allowedOriginNetworks, trustedProxies, nodeId,
        connections, logBufferBytes);
  }

  public EdgeSettings withInstances(int n) {
    return new EdgeSettings(n, bindAddress, port, memoryBytes, maxObjectBytes, maxVariants, collapseWaitMs,
        connectTimeoutMs, readTimeoutMs, originDownMs, maxHeaderBytes, maxUriBytes, h2MaxConcurrentStreams,
        h2RstFloodMax, h2RstFloodWindowSeconds, siteRefreshMs, allowedOriginNetworks, trustedProxies, nodeId,
        connections, logBufferBytes);
  }

  public EdgeSettings withTimeouts(long collapseWait, long connect, long read) {
    return new EdgeSettings(instances, bindAddress, port, memoryBytes, maxObjectBytes, maxVariants, collapseWait,
        connect, read, originDownMs, maxHeaderBytes, maxUriBytes, h2MaxConcurrentStreams,
        h2RstFloodMax, h2RstFloodWindowSeconds, siteRefreshMs, allowedOriginNetworks, trustedProxies, nodeId,
        connections, logBufferBytes);
  }

  public EdgeSettings withStorage(long memory, long maxObject, int variants) {
    return new EdgeSettings(instances, bindAddress, port, memory, maxObject, variants, collapseWaitMs,
        connectTimeoutMs, readTimeoutMs, originDownMs, maxHeaderBytes, maxUriBytes, h2MaxConcurrentStreams,
        h2RstFloodMax, h2RstFloodWindowSeconds, siteRefreshMs, allowedOriginNetworks, trustedProxies, nodeId,
        connections, logBufferBytes);
  }

  /** The same settings with another access-log buffer bound (tests: a small one). */
  public EdgeSettings withLogBuffer(long bytes) {
    return new EdgeSettings(instances, bindAddress, port, memoryBytes, maxObjectBytes, maxVariants, collapseWaitMs,
        connectTimeoutMs, readTimeoutMs, originDownMs, maxHeaderBytes, maxUriBytes, h2MaxConcurrentStreams,
        h2RstFloodMax, h2RstFloodWindowSeconds, siteRefreshMs, allowedOriginNetworks, trustedProxies, nodeId,
        connections, bytes);
  }
}
