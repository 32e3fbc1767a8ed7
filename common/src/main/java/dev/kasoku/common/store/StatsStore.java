package dev.kasoku.common.store;

import io.vertx.core.Future;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Per-tenant, per-site counter time series kept in fixed buckets of {@link #BUCKET_SECONDS}.
 * Increments are additive, so several metrics instances may write the same bucket.
 */
public interface StatsStore {
  int BUCKET_SECONDS = 60;

  /** Adds the counters to the bucket containing {@code at}. */
  Future<Void> increment(String tenant, String site, Instant at, Map<String, Long> counters);

  /**
   * Sums of each counter per step over [from, to). {@code site} null means every site of the
   * tenant. Each returned array has one slot per step; missing buckets are 0.
   *
   * @param stepSeconds a multiple of {@link #BUCKET_SECONDS}
   */
  Future<Map<String, long[]>> range(String tenant, String site, Instant from, Instant to, int stepSeconds,
                                    List<String> counters);
}
