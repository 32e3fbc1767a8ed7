package dev.kasoku.metrics.impl;

import dev.kasoku.common.stats.LatencySketch;
import dev.kasoku.common.store.StatsStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the metrics service stores and what a stats answer is made of.
 *
 * <p>Stored per site and bucket: the plain counters an edge sends ({@link #COUNTERS}; {@code
 * deceptionGuard} counts responses the edge's cache-deception guard kept out of the cache) and the
 * latency sketches' buckets, counters named {@link #EDGE_SKETCH} or {@link #ORIGIN_SKETCH} followed
 * by the bucket index. Answered ({@link #FIELDS}): the counters as stored; p50/p95/p99 of each sketch,
 * computed from the merged buckets of the step (within the sketch's 1 %); and three ratios computed
 * from the step's sums:
 * <ul>
 *   <li>{@code hitRatio} = (hits + stale) / requests: the share of requests answered from cache;</li>
 *   <li>{@code byteHitRatio} = bytes of hit and stale answers / bytes: the same share by bytes;</li>
 *   <li>{@code originOffload} = 1 - originBytes / bytes: the share of bytes delivered that the origin
 *       did not have to send (negative when the origin sent more than clients received, e.g. aborted
 *       downloads).</li>
 * </ul>
 * A step without any stored bucket is null in every field (a gap, not a zero); a ratio or percentile
 * whose denominator is zero in a step is null too.
 */
public final class SeriesFields {
  /** Prefix of the counters holding the edge-total-time sketch's buckets. */
  public static final String EDGE_SKETCH = "edgeMs~";
  /** Prefix of the counters holding the origin-time sketch's buckets. */
  public static final String ORIGIN_SKETCH = "originMs~";

  /** The plain counters kept per site and bucket (hitBytes: bytes of hits and stale answers). */
  public static final List<String> COUNTERS = List.of("requests", "bytes", "bytesIn", "hits", "misses", "stale",
      "pass", "errors", "originRequests", "originBytes", "status1xx", "status2xx", "status3xx", "status4xx",
      "status5xx", "hitBytes", "deceptionGuard");
  private static final Set<String> STORED = Set.copyOf(COUNTERS);
  private static final Map<String, Double> EDGE_QUANTILES = Map.of("edgeP50Ms", 0.5, "edgeP95Ms", 0.95,
      "edgeP99Ms", 0.99);
  private static final Map<String, Double> ORIGIN_QUANTILES = Map.of("originP50Ms", 0.5, "originP95Ms", 0.95,
      "originP99Ms", 0.99);

  /** Every field a stats answer can carry, in answer order. */
  public static final List<String> FIELDS = List.of("requests", "bytes", "bytesIn", "hits", "misses", "stale",
      "pass", "errors", "originRequests", "originBytes", "status1xx", "status2xx", "status3xx", "status4xx",
      "status5xx", "edgeP50Ms", "edgeP95Ms", "edgeP99Ms", "originP50Ms", "originP95Ms", "originP99Ms",
      "hitRatio", "byteHitRatio", "originOffload", "deceptionGuard");
  private static final Set<String> ANSWERED = Set.copyOf(FIELDS);

  private SeriesFields() {}

  /** Whether a counter an edge sent is one the service keeps (unknown ones are not stored). */
  public static boolean isStoredCounter(String name) {
    return STORED.contains(name);
  }

  /** Whether {@code name} is a field a stats answer can carry. */
  public static boolean isField(String name) {
    return ANSWERED.contains(name);
  }

  /** The asked fields' series over the range: one value per step, null for a gap. */
  public static Map<String, List<Number>> compute(StatsStore.Range range, List<String> fields) {
    Map<String, List<Number>> out = new LinkedHashMap<>();
    Map<Integer, long[]> edge = sketch(range, EDGE_SKETCH);
    Map<Integer, long[]> origin = sketch(range, ORIGIN_SKETCH);
    for (String field : fields) {
      List<Number> values = new ArrayList<>(range.steps());
      for (int i = 0; i < range.steps(); i++) {
        values.add(range.present()[i] ? value(range, field, i, edge, origin) : null);
      }
      out.put(field, values);
    }
    return out;
  }

  private static Number value(StatsStore.Range range, String field, int i, Map<Integer, long[]> edge,
                              Map<Integer, long[]> origin) {
    if (STORED.contains(field)) {
      return range.of(field)[i];
    }
    if (EDGE_QUANTILES.containsKey(field)) {
      return quantile(edge, i, EDGE_QUANTILES.get(field));
    }
    if (ORIGIN_QUANTILES.containsKey(field)) {
      return quantile(origin, i, ORIGIN_QUANTILES.get(field));
    }
    long requests = range.of("requests")[i];
    long bytes = range.of("bytes")[i];
    return switch (field) {
      case "hitRatio" -> requests == 0 ? null
          : round((double) (range.of("hits")[i] + range.of("stale")[i]) / requests, 4);
      case "byteHitRatio" -> bytes == 0 ? null : round((double) range.of("hitBytes")[i] / bytes, 4);
      case "originOffload" -> bytes == 0 ? null : round(1 - (double) range.of("originBytes")[i] / bytes, 4);
      default -> throw new IllegalArgumentException("unknown field " + field);
    };
  }

  private static Map<Integer, long[]> sketch(StatsStore.Range range, String prefix) {
    Map<Integer, long[]> buckets = new HashMap<>();
    range.counters().forEach((name, values) -> {
      if (name.startsWith(prefix)) {
        try {
          buckets.put(Integer.parseInt(name.substring(prefix.length())), values);
        } catch (NumberFormatException ignored) {
          // not a sketch bucket; nothing the service wrote
        }
      }
    });
    return buckets;
  }

  private static Double quantile(Map<Integer, long[]> sketch, int step, double q) {
    Map<Integer, Long> buckets = new HashMap<>();
    sketch.forEach((index, values) -> {
      if (values[step] > 0) {
        buckets.put(index, values[step]);
      }
    });
    Double v = LatencySketch.quantile(buckets, q);
    return v == null ? null : round(v, 2);
  }

  private static double round(double v, int decimals) {
    double scale = Math.pow(10, decimals);
    return Math.round(v * scale) / scale;
  }
}
