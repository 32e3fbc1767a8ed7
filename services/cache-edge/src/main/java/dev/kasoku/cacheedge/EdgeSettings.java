package dev.kasoku.cacheedge;

import dev.kasoku.common.config.KasokuConfig;
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
    String nodeId) {

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
  }

  /** The production settings for a process configuration. */
  public static EdgeSettings from(KasokuConfig c) {
    return new EdgeSettings(Runtime.getRuntime().availableProcessors(), c.bindAddress(), c.edgePort(),
        c.edgeMemoryBytes(), c.edgeMaxObjectBytes(), dev.kasoku.cacheedge.storage.MemoryStorage.DEFAULT_MAX_VARIANTS,
        DEFAULT_COLLAPSE_WAIT_MS, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_READ_TIMEOUT_MS, DEFAULT_ORIGIN_DOWN_MS,
        DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_URI_BYTES, DEFAULT_H2_MAX_STREAMS, DEFAULT_H2_RST_FLOOD_MAX,
        DEFAULT_H2_RST_FLOOD_WINDOW_S, DEFAULT_SITE_REFRESH_MS, c.allowedOriginNetworks(), c.trustedProxies(),
        c.nodeId());
  }

  public EdgeSettings withInstances(int n) {
    return new EdgeSettings(n, bindAddress, port, memoryBytes, maxObjectBytes, maxVariants, collapseWaitMs,
        connectTimeoutMs, readTimeoutMs, originDownMs, maxHeaderBytes, maxUriBytes, h2MaxConcurrentStreams,
        h2RstFloodMax, h2RstFloodWindowSeconds, siteRefreshMs, allowedOriginNetworks, trustedProxies, nodeId);
  }

  public EdgeSettings withTimeouts(long collapseWait, long connect, long read) {
    return new EdgeSettings(instances, bindAddress, port, memoryBytes, maxObjectBytes, maxVariants, collapseWait,
        connect, read, originDownMs, maxHeaderBytes, maxUriBytes, h2MaxConcurrentStreams,
        h2RstFloodMax, h2RstFloodWindowSeconds, siteRefreshMs, allowedOriginNetworks, trustedProxies, nodeId);
  }

  public EdgeSettings withStorage(long memory, long maxObject, int variants) {
    return new EdgeSettings(instances, bindAddress, port, memory, maxObject, variants, collapseWaitMs,
        connectTimeoutMs, readTimeoutMs, originDownMs, maxHeaderBytes, maxUriBytes, h2MaxConcurrentStreams,
        h2RstFloodMax, h2RstFloodWindowSeconds, siteRefreshMs, allowedOriginNetworks, trustedProxies, nodeId);
  }
}
