package dev.kasoku.launcher.e2e;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** The environment of a monolith started in a test: every role in one JVM, on loopback, embedded store. */
public final class MonolithEnv {
  private MonolithEnv() {}

  /**
   * API on a free port, the edge on the given ports, origins on loopback allowed, a 2 s shutdown
   * grace, a 1 s edge warm-up (the warm-up has tests of its own; these need an edge, not a warm
   * one); a mutable map, so a test can add or override keys.
   */
  public static Map<String, String> of(Path dataDir, int edgePort, int edgeTlsPort, String secretKey,
                                       String operatorToken) {
    return new HashMap<>(Map.of(
        "KASOKU_DATA_DIR", dataDir.toString(),
        "KASOKU_BIND_ADDRESS", "127.0.0.1",
        "KASOKU_API_PORT", "0",
        "KASOKU_EDGE_PORT", String.valueOf(edgePort),
        "KASOKU_EDGE_TLS_PORT", String.valueOf(edgeTlsPort),
        "KASOKU_SECRET_KEY", secretKey,
        "KASOKU_BOOTSTRAP_TOKEN", operatorToken,
        "KASOKU_ALLOWED_ORIGIN_NETWORKS", "127.0.0.0/8",
        "KASOKU_SHUTDOWN_GRACE", "2s",
        "KASOKU_EDGE_WARMUP", "1s"));
  }
}
