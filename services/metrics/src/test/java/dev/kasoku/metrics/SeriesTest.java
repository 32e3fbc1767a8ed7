package dev.kasoku.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages.CounterDeltas;
import dev.kasoku.common.bus.Messages.TenantDeleted;
import dev.kasoku.common.bus.Messages.CounterRow;
import dev.kasoku.common.stats.LatencySketch;
import dev.kasoku.common.store.StatsStore;
import dev.kasoku.common.store.StatsStore.Resolution;
import dev.kasoku.common.testing.Await;
import dev.kasoku.metrics.impl.SeriesFields;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The series a fold writes: every resolution adds up to the same deltas, the computed fields follow
 * their definitions, a step without data is a gap, and the tenant's deletion erases its series.
 */
abstract class SeriesTest extends MetricsTestBase {
  /** Two minutes ago at a minute boundary: inside every resolution's retention. */
  private final Instant base = Instant.now().truncatedTo(ChronoUnit.MINUTES).minusSeconds(120);

  private static CounterRow row(String tenant, String site, Map<String, Long> counters) {
    return new CounterRow(tenant, site, counters, Map.of(), Map.of());
  }

  private StatsStore.Range range(String tenant, Resolution r, Instant from, Instant to, int step) {
    return Await.result(store.stats().range(tenant, null, r, from, to, step));
  }

  private static long sum(long[] values) {
    return Arrays.stream(values).sum();
  }

  @Test
  void everyResolutionAddsUpToTheFoldedDeltas() {
    long requests = 0;
    long bytes = 0;
    for (int s = 0; s < 90; s += 7) {
      send(new CounterDeltas("edge-1", "edge-1.x", s + 1, base.plusSeconds(s),
          List.of(row("acme", "www", Map.of("requests", (long) s + 1, "bytes", 1000L * s + 1)))));
      requests += s + 1;
      bytes += 1000L * s + 1;
    }
    Instant from = base;
    Instant to = base.plusSeconds(90);
    StatsStore.Range seconds = range("acme", Resolution.SECOND, from, to, 1);
    assertThat(sum(seconds.of("requests"))).isEqualTo(requests);
    assertThat(sum(seconds.of("bytes"))).isEqualTo(bytes);
    assertThat(seconds.of("requests")[7]).isEqualTo(8);
    StatsStore.Range minutes = range("acme", Resolution.MINUTE, from, base.plusSeconds(120), 60);
    assertThat(sum(minutes.of("requests"))).isEqualTo(requests);
    assertThat(sum(minutes.of("bytes"))).isEqualTo(bytes);
    for (Resolution r : List.of(Resolution.HOUR, Resolution.DAY)) {
      Instant b = Instant.ofEpochSecond(r.bucketOf(base));
      StatsStore.Range coarse = range("acme", r, b, b.plusSeconds(2L * r.seconds()), r.seconds());
      assertThat(sum(coarse.of("requests"))).as(r.name()).isEqualTo(requests);
      assertThat(sum(coarse.of("bytes"))).as(r.name()).isEqualTo(bytes);
    }
  }

  @Test
  void computedFieldsFollowTheirDefinitionsAndGapsAreNull() {
    send(new CounterDeltas("edge-1", "edge-1.y", 1, base, List.of(row("acme", "www", Map.of("requests", 10L,
        "hits", 6L, "stale", 1L, "misses", 3L, "bytes", 1000L, "hitBytes", 750L, "originBytes", 400L)))));
    Map<String, List<Number>> s = SeriesFields.compute(range("acme", Resolution.MINUTE, base, base.plusSeconds(120), 60),
        List.of("requests", "stale", "pass", "hitRatio", "byteHitRatio", "originOffload", "edgeP50Ms"));
    assertThat(s.get("requests")).containsExactly(10L, null);
    assertThat(s.get("pass")).as("no pass in a step with data is a zero").containsExactly(0L, null);
    assertThat(s.get("hitRatio")).containsExactly(0.7, null);
    assertThat(s.get("byteHitRatio")).containsExactly(0.75, null);
    assertThat(s.get("originOffload")).containsExactly(0.6, null);
    assertThat(s.get("edgeP50Ms")).as("no latency sample, no percentile").containsExactly(null, null);
  }

  @Test
  void percentilesOfAStepAreWithinOnePercentOfTheMergedSamples() {
    SplittableRandom random = new SplittableRandom(7);
    long[] all = new long[2000];
    for (int edge = 0; edge < 2; edge++) {
      Map<Integer, Long> sketch = new HashMap<>();
      for (int i = 0; i < 1000; i++) {
        long v = 1 + (long) (Math.exp(random.nextDouble() * 7) * (edge + 1));
        all[edge * 1000 + i] = v;
        sketch.merge(LatencySketch.index(v), 1L, Long::sum);
      }
      send(new CounterDeltas("edge-" + edge, "edge-" + edge + ".z", 1, base.plusSeconds(edge * 20L),
          List.of(new CounterRow("acme", "www", Map.of("requests", 1000L), sketch, sketch))));
    }
    Arrays.sort(all);
    Map<String, List<Number>> s = SeriesFields.compute(range("acme", Resolution.MINUTE, base, base.plusSeconds(60), 60),
        List.of("edgeP50Ms", "edgeP95Ms", "edgeP99Ms", "originP99Ms"));
    Map<String, Double> q = Map.of("edgeP50Ms", 0.5, "edgeP95Ms", 0.95, "edgeP99Ms", 0.99, "originP99Ms", 0.99);
    q.forEach((field, quantile) -> {
      long exact = all[(int) Math.floor(quantile * (all.length - 1))];
      assertThat(s.get(field).get(0).doubleValue()).as(field)
          .isCloseTo(exact, within(exact * LatencySketch.RELATIVE_ACCURACY + 0.01));
    });
  }

  /**
   * An edge keeps and resends counters for minutes; without the check, counters of a tenant deleted
   * meanwhile wrote its series again after the erasure.
   */
  @Test
  void lateCountersOfADeletedTenantAreNotFoldedAndUnknownTenantsNever() {
    send(new CounterDeltas("edge-1", "edge-1.late", 1, base, List.of(row("acme", "www", Map.of("requests", 5L)))));
    Await.result(store.eraseTenant("acme"));
    Addresses.TENANT_DELETED.publish(vertx.eventBus(), new TenantDeleted("acme"));
    // both instances have seen the deletion once a request after it has been answered by each
    send(new CounterDeltas("edge-1", "edge-1.late", 2, base, List.of(row("other", "www", Map.of("requests", 1L)))));
    send(new CounterDeltas("edge-1", "edge-1.late", 3, base, List.of(row("other", "www", Map.of("requests", 1L)))));

    send(new CounterDeltas("edge-1", "edge-1.late", 4, base.plusSeconds(1), List.of(
        row("acme", "www", Map.of("requests", 7L)), row("ghost", "www", Map.of("requests", 9L)),
        row("other", "www", Map.of("requests", 1L)))));
    send(new CounterDeltas("edge-1", "edge-1.late", 5, base.plusSeconds(2), List.of(
        row("acme", "www", Map.of("requests", 7L)))));

    for (String gone : List.of("acme", "ghost")) {
      assertThat(range(gone, Resolution.MINUTE, base, base.plusSeconds(60), 60).present()).as(gone).containsOnly(false);
      assertThat(Await.result(store.stats().sites(gone))).as(gone).isEmpty();
    }
    assertThat(range("other", Resolution.MINUTE, base, base.plusSeconds(60), 60).of("requests")).containsExactly(3);
  }

  @Test
  void deletingTheTenantErasesItsSeriesAndNoOneElses() {
    send(new CounterDeltas("edge-1", "edge-1.d", 1, base, List.of(row("acme", "www", Map.of("requests", 5L)),
        row("other", "www", Map.of("requests", 7L)))));
    Await.result(store.eraseTenant("acme"));
    for (Resolution r : Resolution.values()) {
      Instant b = Instant.ofEpochSecond(r.bucketOf(base));
      assertThat(range("acme", r, b, b.plusSeconds(r.seconds()), r.seconds()).present()).as(r.name())
          .containsOnly(false);
      assertThat(range("other", r, b, b.plusSeconds(r.seconds()), r.seconds()).of("requests")).as(r.name())
          .containsExactly(7);
    }
    assertThat(Await.result(store.stats().sites("acme"))).isEmpty();
  }
}
