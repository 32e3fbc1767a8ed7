package dev.kasoku.common.stats;

import java.util.Map;
import java.util.TreeMap;

/**
 * The latency histogram every edge fills and the metrics service reads back: a DDSketch-style
 * sketch whose buckets are plain counters, so that merging two sketches (two edges, two seconds,
 * sixty minutes) is adding their counters, which the store's atomic increments already do.
 *
 * <p><b>Index mapping.</b> A value {@code v = m * 2^e} ({@code 1 <= m < 2}) is mapped to
 * {@code floor(L(v) * K)} with {@code L(v) = e + (m - 1)}: log2 interpolated linearly between
 * powers of two, computed from the double's exponent and mantissa without calling {@code log}
 * (DDSketch's "linearly interpolated" mapping). {@code L} never rises faster than
 * {@code log2(v) * ln 2}, so a bucket {@code [lo, hi)} spans at most {@code 1 / (K ln 2)} in log2;
 * with {@code K = 1 / ln(gamma)} and {@code gamma = (1 + a) / (1 - a)} that gives
 * {@code hi / lo <= gamma}. A bucket's value is reported as {@code 2 lo hi / (lo + hi)}, which is
 * within {@code (gamma - 1) / (gamma + 1) = a} of every value in it: {@link #RELATIVE_ACCURACY}
 * is 1 %. The price of skipping {@code log} is about 1.44 times more buckets than an exact
 * logarithmic mapping: some 50 per doubling, about 800 indexes between 1 ms and one minute, of which
 * a site's traffic fills a few dozen.
 *
 * <p>Value 0 (a response served in under a millisecond) has its own bucket, {@link #ZERO_INDEX}.
 * Values below 1 are not expected (latencies are whole milliseconds) and are counted as 0.
 *
 * <p>Quantiles follow DDSketch: the value at rank {@code floor(q * (n - 1))} of the sorted samples,
 * so a quantile of a merged sketch is within 1 % of the exact quantile of the merged samples.
 * Pure functions; thread-safe.
 */
public final class LatencySketch {
  /** The bound on the relative error of every reported quantile. */
  public static final double RELATIVE_ACCURACY = 0.01;
  /** The bucket of value 0. */
  public static final int ZERO_INDEX = -1;
  private static final double GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
  // a hair above 1 / ln(gamma), so rounding in the mapping never widens a bucket past gamma
  private static final double K = 1 / Math.log(GAMMA) * (1 + 1e-9);

  private LatencySketch() {}

  /** The bucket of a value (a latency in milliseconds). */
  public static int index(double value) {
    if (!(value >= 1)) {
      return ZERO_INDEX;
    }
    int e = Math.getExponent(value);
    double m = value / Math.scalb(1.0, e);
    return (int) Math.floor((e + (m - 1)) * K);
  }

  /** The value a bucket stands for: within {@link #RELATIVE_ACCURACY} of every value mapped to it. */
  public static double value(int index) {
    if (index <= ZERO_INDEX) {
      return 0;
    }
    double lo = lowerBound(index);
    double hi = lowerBound(index + 1);
    return 2 * lo * hi / (lo + hi);
  }

  private static double lowerBound(int index) {
    double l = index / K;
    double e = Math.floor(l);
    return Math.scalb(1 + (l - e), (int) e);
  }

  /**
   * The {@code q}-quantile ({@code 0 <= q <= 1}) of the samples counted in {@code buckets}
   * (index → count); null when the buckets hold no sample.
   */
  public static Double quantile(Map<Integer, Long> buckets, double q) {
    if (q < 0 || q > 1) {
      throw new IllegalArgumentException("quantile must be in [0, 1]: " + q);
    }
    TreeMap<Integer, Long> sorted = new TreeMap<>();
    long n = 0;
    for (Map.Entry<Integer, Long> b : buckets.entrySet()) {
      if (b.getValue() > 0) {
        sorted.merge(b.getKey(), b.getValue(), Long::sum);
        n += b.getValue();
      }
    }
    if (n == 0) {
      return null;
    }
    long rank = (long) Math.floor(q * (n - 1));
    long seen = 0;
    for (Map.Entry<Integer, Long> b : sorted.entrySet()) {
      seen += b.getValue();
      if (seen > rank) {
        return value(b.getKey());
      }
    }
    return value(sorted.lastKey());
  }
}
