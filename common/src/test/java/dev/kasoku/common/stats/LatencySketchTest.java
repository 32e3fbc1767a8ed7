package dev.kasoku.common.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The sketch's quantiles stay within 1 % of the exact ones, for single sketches and for merges. */
class LatencySketchTest {

  @Test
  void everyValueFromOneMillisecondToADayIsReportedWithinOnePercent() {
    for (long v = 1; v <= 86_400_000L; v = v < 5_000 ? v + 1 : v + v / 997) {
      double reported = LatencySketch.value(LatencySketch.index(v));
      assertThat(Math.abs(reported - v) / v).as("value %d reported as %f", v, reported)
          .isLessThanOrEqualTo(LatencySketch.RELATIVE_ACCURACY);
    }
  }

  @Test
  void indexesRiseWithTheValue() {
    int last = LatencySketch.index(0);
    for (long v = 1; v < 200_000; v++) {
      int i = LatencySketch.index(v);
      assertThat(i).isGreaterThanOrEqualTo(last);
      last = i;
    }
  }

  @Test
  void zeroAndSubMillisecondValuesShareTheZeroBucket() {
    assertThat(LatencySketch.index(0)).isEqualTo(LatencySketch.ZERO_INDEX);
    assertThat(LatencySketch.index(0.4)).isEqualTo(LatencySketch.ZERO_INDEX);
    assertThat(LatencySketch.value(LatencySketch.ZERO_INDEX)).isZero();
    assertThat(LatencySketch.index(1)).isGreaterThan(LatencySketch.ZERO_INDEX);
  }

  @Test
  void quantilesOfAMergeAreWithinOnePercentOfTheExactQuantilesOfAllSamples() {
    SplittableRandom random = new SplittableRandom(14);
    Map<Integer, Long> merged = new HashMap<>();
    long[] all = new long[30_000];
    for (int part = 0; part < 3; part++) {
      Map<Integer, Long> sketch = new HashMap<>();
      for (int i = 0; i < 10_000; i++) {
        // log-normal-ish latencies: most fast, a long tail, a few zeros
        long v = (long) Math.exp(random.nextDouble() * 10 * (part + 1) / 3);
        if (random.nextInt(20) == 0) {
          v = 0;
        }
        all[part * 10_000 + i] = v;
        sketch.merge(LatencySketch.index(v), 1L, Long::sum);
      }
      sketch.forEach((k, c) -> merged.merge(k, c, Long::sum));
    }
    Arrays.sort(all);
    for (double q : new double[] {0, 0.5, 0.9, 0.95, 0.99, 0.999, 1}) {
      long exact = all[(int) Math.floor(q * (all.length - 1))];
      double got = LatencySketch.quantile(merged, q);
      assertThat(got).as("q=%s", q).isCloseTo(exact, within(exact * LatencySketch.RELATIVE_ACCURACY + 1e-9));
    }
  }

  @Test
  void anEmptySketchHasNoQuantile() {
    assertThat(LatencySketch.quantile(Map.of(), 0.5)).isNull();
    assertThat(LatencySketch.quantile(Map.of(3, 0L), 0.5)).isNull();
  }
}
