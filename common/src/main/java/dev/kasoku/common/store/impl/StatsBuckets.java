package dev.kasoku.common.store.impl;

import dev.kasoku.common.store.StatsStore;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bucket arithmetic both stats implementations share, so they cannot disagree on where a
 * sample lands: a sample at {@code t} goes to the bucket starting at
 * {@code floor(t / BUCKET_SECONDS) * BUCKET_SECONDS}; a range query over [from, to) with step
 * {@code s} sums every bucket whose start {@code b} satisfies {@code from <= b < to} into slot
 * {@code (b - from) / s}.
 */
public final class StatsBuckets {
  /** How long buckets are kept; older ones are dropped (Redis: key expiry; embedded: sweep). */
  public static final Duration RETENTION = Duration.ofDays(400);

  private final long fromSec;
  private final long toSec;
  private final int step;
  private final Map<String, long[]> series = new LinkedHashMap<>();

  private StatsBuckets(long fromSec, long toSec, int step, List<String> counters) {
    this.fromSec = fromSec;
    this.toSec = toSec;
    this.step = step;
    int slots = slots(fromSec, toSec, step);
    for (String c : counters) {
      series.put(c, new long[slots]);
    }
  }

  /** Validates the query and returns an accumulator with every counter at zero. */
  public static StatsBuckets forRange(Instant from, Instant to, int stepSeconds, List<String> counters) {
    if (stepSeconds <= 0 || stepSeconds % StatsStore.BUCKET_SECONDS != 0) {
      throw new IllegalArgumentException("step must be a positive multiple of " + StatsStore.BUCKET_SECONDS
          + " seconds: " + stepSeconds);
    }
    if (!from.isBefore(to)) {
      throw new IllegalArgumentException("from must be before to");
    }
    return new StatsBuckets(from.getEpochSecond(), to.getEpochSecond(), stepSeconds, counters);
  }

  public static long bucketOf(Instant at) {
    return Math.floorDiv(at.getEpochSecond(), StatsStore.BUCKET_SECONDS) * StatsStore.BUCKET_SECONDS;
  }

  private static int slots(long fromSec, long toSec, int step) {
    long n = (toSec - fromSec + step - 1) / step;
    if (n > 100_000) {
      throw new IllegalArgumentException("range too long for its step: " + n + " points");
    }
    return (int) n;
  }

  /** The first bucket start inside the range. */
  public long firstBucket() {
    return Math.floorDiv(fromSec + StatsStore.BUCKET_SECONDS - 1, StatsStore.BUCKET_SECONDS)
        * StatsStore.BUCKET_SECONDS;
  }

  /** Exclusive end (seconds). */
  public long endSec() {
    return toSec;
  }

  public boolean contains(long bucketStart) {
    return bucketStart >= fromSec && bucketStart < toSec;
  }

  /** Adds a stored bucket value; ignores buckets outside the range and counters not asked for. */
  public void add(long bucketStart, String counter, long value) {
    long[] s = series.get(counter);
    if (s != null && contains(bucketStart)) {
      s[(int) ((bucketStart - fromSec) / step)] += value;
    }
  }

  public Map<String, long[]> result() {
    return series;
  }
}
