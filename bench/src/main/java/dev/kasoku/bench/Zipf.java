package dev.kasoku.bench;

import java.util.SplittableRandom;

/**
 * Zipf-distributed key indexes, the shape of real CDN traffic: a few objects take most requests and a
 * long tail is asked for rarely. Rank {@code r} (1 = most popular) is drawn with probability
 * proportional to {@code 1 / r^s} by inverting the cumulative distribution (exact, not YCSB's
 * approximation), then scrambled to a key index by a fixed multiplicative permutation so the popular
 * keys are spread over the key space instead of being the lowest numbers (the same idea as YCSB's
 * ScrambledZipfianGenerator that caffeine's benchmarks use).
 *
 * <p>Benchmarks precompute a table of indexes with {@link #sample} so drawing costs nothing in the
 * measured loop. The exponent 0.99 is YCSB's "zipfian" constant; the edge-compare wrk script uses the
 * same distribution.
 */
public final class Zipf {
  /** YCSB's default skew. */
  public static final double DEFAULT_EXPONENT = 0.99;

  private final int n;
  private final double[] cdf;
  private final long multiplier;

  public Zipf(int n, double exponent) {
    if (n <= 0 || exponent <= 0) {
      throw new IllegalArgumentException("n and exponent must be positive");
    }
    this.n = n;
    this.cdf = new double[n];
    double sum = 0;
    for (int r = 1; r <= n; r++) {
      sum += 1 / Math.pow(r, exponent);
      cdf[r - 1] = sum;
    }
    for (int i = 0; i < n; i++) {
      cdf[i] /= sum;
    }
    this.multiplier = coprimeMultiplier(n);
  }

  /** A key index in {@code [0, n)}. */
  public int next(SplittableRandom random) {
    double u = random.nextDouble();
    int lo = 0;
    int hi = n - 1;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (cdf[mid] < u) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return (int) ((lo + 1) * multiplier % n);
  }

  /** {@code count} indexes drawn with a fixed seed (repeatable runs). */
  public int[] sample(int count, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    int[] out = new int[count];
    for (int i = 0; i < count; i++) {
      out[i] = next(random);
    }
    return out;
  }

  /** The probability mass of the {@code k} most popular keys. */
  public double topShare(int k) {
    return cdf[Math.min(k, n) - 1];
  }

  private static long coprimeMultiplier(int n) {
    long m = 7919; // prime; bump it until it shares no factor with n
    while (gcd(m, n) != 1) {
      m += 2;
    }
    return m;
  }

  private static long gcd(long a, long b) {
    return b == 0 ? a : gcd(b, a % b);
  }
}
