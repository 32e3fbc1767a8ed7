package dev.kasoku.common.store.impl;

import dev.kasoku.common.store.StatsStore.Range;
import dev.kasoku.common.store.StatsStore.Resolution;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * The range arithmetic both stats implementations share, so they cannot disagree on where a bucket
 * lands: a query over [from, to) with step {@code s} adds every bucket whose start {@code b}
 * satisfies {@code from <= b < to} to slot {@code (b - from) / s}, and marks that slot present.
 */
public final class StatsBuckets {
  /** The most steps one query may ask for. */
  public static final int MAX_STEPS = 20_000;

  private final long fromSec;
  private final long toSec;
  private final int step;
  private final boolean[] present;
  private final Map<String, long[]> counters = new HashMap<>();

  private StatsBuckets(long fromSec, long toSec, int step) {
    this.fromSec = fromSec;
    this.toSec = toSec;
    this.step = step;
    long n = (toSec - fromSec + step - 1) / step;
    if (n > MAX_STEPS) {
      throw new IllegalArgumentException("range too long for its step: " + n + " steps, at most " + MAX_STEPS);
    }
    this.present = new boolean[(int) n];
  }

  /** Validates the query and returns an empty accumulator. */
  public static StatsBuckets forRange(Resolution resolution, Instant from, Instant to, int stepSeconds) {
    if (stepSeconds <= 0 || stepSeconds % resolution.seconds() != 0) {
      throw new IllegalArgumentException("step must be a positive multiple of " + resolution.seconds()
          + " seconds: " + stepSeconds);
    }
    if (!from.isBefore(to)) {
      throw new IllegalArgumentException("from must be before to");
    }
    return new StatsBuckets(from.getEpochSecond(), to.getEpochSecond(), stepSeconds);
  }

  /** The first bucket start at or after {@code from} at this resolution. */
  public long firstBucket(Resolution resolution) {
    int r = resolution.seconds();
    return Math.floorDiv(fromSec + r - 1, r) * r;
  }

  /** Exclusive end (epoch seconds). */
  public long endSec() {
    return toSec;
  }

  public boolean contains(long bucketStart) {
    return bucketStart >= fromSec && bucketStart < toSec;
  }

  /** Adds a stored bucket value; ignores buckets outside the range. */
  public void add(long bucketStart, String counter, long value) {
    if (!contains(bucketStart)) {
      return;
    }
    int slot = (int) ((bucketStart - fromSec) / step);
    present[slot] = true;
    counters.computeIfAbsent(counter, c -> new long[present.length])[slot] += value;
  }

  public Range result() {
    return new Range(present, counters);
  }
}
