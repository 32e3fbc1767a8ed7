package dev.kasoku.metrics.impl;

import java.util.List;
import java.util.Set;

/**
 * The names of what the metrics service stores: the plain counters an edge sends, and the latency
 * sketch buckets, stored as counters named by a prefix and the sketch's bucket index.
 */
public final class SeriesFields {
  /** Prefix of the counters holding the edge-total-time sketch's buckets. */
  public static final String EDGE_SKETCH = "edgeMs~";
  /** Prefix of the counters holding the origin-time sketch's buckets. */
  public static final String ORIGIN_SKETCH = "originMs~";

  /** The plain counters kept per site and bucket (hitBytes: bytes of hits and stale answers). */
  public static final List<String> COUNTERS = List.of("requests", "bytes", "bytesIn", "hits", "misses", "stale",
      "pass", "errors", "originRequests", "originBytes", "status1xx", "status2xx", "status3xx", "status4xx",
      "status5xx", "hitBytes");
  private static final Set<String> STORED = Set.copyOf(COUNTERS);

  private SeriesFields() {}

  /** Whether a counter an edge sent is one the service keeps (unknown ones are not stored). */
  public static boolean isStoredCounter(String name) {
    return STORED.contains(name);
  }
}
