package dev.kasoku.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages.CounterDeltas;
import dev.kasoku.common.bus.Messages.CounterRow;
import dev.kasoku.common.prometheus.Prometheus;
import dev.kasoku.common.stats.LatencySketch;
import dev.kasoku.common.store.StatsStore;
import dev.kasoku.common.store.StatsStore.Resolution;
import dev.kasoku.common.testing.Await;
import dev.kasoku.metrics.impl.DeltaFolder;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The metrics side of the hand-off: a batch is acknowledged once folded, folded once however many
 * times and to however many instances it is delivered, and refused (so the edge resends it) when the
 * store cannot take it. Run against both stores (subclasses).
 */
abstract class DeltaFoldingTest extends MetricsTestBase {
  private final Instant window = Instant.now().truncatedTo(ChronoUnit.MINUTES).minusSeconds(60);

  private CounterDeltas batch(String stream, long seq, CounterRow... rows) {
    return new CounterDeltas("edge-1", stream, seq, window.plusSeconds(seq), List.of(rows));
  }

  private StatsStore.Range minute(String tenant) {
    return Await.result(store.stats().range(tenant, null, Resolution.MINUTE, window, window.plusSeconds(60), 60));
  }

  @Test
  void aBatchDeliveredToTwoMetricsInstancesIsFoldedOnce() {
    CounterDeltas b = batch("edge-1.s1", 1, new CounterRow("acme", "www", Map.of("requests", 3L, "bytes", 300L),
        Map.of(), Map.of()));
    // round robin: the first delivery goes to one instance, the resend to the other
    send(b);
    send(b);
    send(batch("edge-1.s1", 2, new CounterRow("acme", "www", Map.of("requests", 1L), Map.of(), Map.of())));

    assertThat(minute("acme").of("requests")).containsExactly(4);
    assertThat(minute("acme").of("bytes")).containsExactly(300);
    assertThat(batches("folded")).as("batches folded, over both instances").isEqualTo(2);
    assertThat(batches("duplicate")).as("the resend, acknowledged without folding").isEqualTo(1);
    assertThat(batches("failed")).isZero();
  }

  /** {@code kasoku_metrics_delta_batches_total} of an outcome, over the instances of this Vert.x. */
  private double batches(String outcome) {
    return Prometheus.registry(vertx).get(MetricsVerticle.BATCHES_METER).tag("outcome", outcome).counter().count();
  }

  @Test
  void batchesOfTwoSendersWithTheSameSequenceBothCount() {
    send(batch("edge-1.s1", 1, new CounterRow("acme", "www", Map.of("requests", 3L), Map.of(), Map.of())));
    send(batch("edge-2.s7", 1, new CounterRow("acme", "www", Map.of("requests", 5L), Map.of(), Map.of())));
    assertThat(minute("acme").of("requests")).containsExactly(8);
  }

  @Test
  void latencySketchesAreStoredAsBucketCountersThatMergeByAddition() {
    int fast = LatencySketch.index(3);
    int slow = LatencySketch.index(250);
    send(batch("e.a", 1, new CounterRow("acme", "www", Map.of("requests", 3L), Map.of(fast, 2L, slow, 1L),
        Map.of(slow, 1L))));
    send(batch("e.b", 1, new CounterRow("acme", "www", Map.of("requests", 1L), Map.of(slow, 1L), Map.of())));

    StatsStore.Range r = minute("acme");
    assertThat(r.of("edgeMs~" + fast)).containsExactly(2);
    assertThat(r.of("edgeMs~" + slow)).containsExactly(2);
    assertThat(r.of("originMs~" + slow)).containsExactly(1);
  }

  private static CounterRow requests(String tenant, long n) {
    return new CounterRow(tenant, "www", Map.of("requests", n), Map.of(), Map.of());
  }

  private DeltaFolder folder() {
    return new DeltaFolder(store.stats(), store.tenants(), Clock.systemUTC());
  }

  private CounterDeltas second(String stream, long seq, CounterRow... rows) {
    return new CounterDeltas("edge-1", stream, seq, window.plusSeconds(seq % 2), List.of(rows));
  }

  @Test
  void batchesMergedInOneWindowFoldExactlyOnceEach() {
    List<CounterDeltas> merged = List.of(second("e1.s", 1, requests("acme", 1), requests("other", 10)),
        second("e2.s", 1, requests("acme", 2)), second("e3.s", 2, requests("acme", 4), requests("other", 20)));
    assertThat(Await.result(folder().foldAll(merged))).containsExactly(true, true, true);
    assertThat(Await.result(folder().foldAll(merged))).as("the same window again").containsExactly(false, false,
        false);
    assertThat(minute("acme").of("requests")).containsExactly(7);
    assertThat(minute("other").of("requests")).containsExactly(30);
    StatsStore.Range perSecond = Await.result(store.stats().range("acme", "www", Resolution.SECOND, window,
        window.plusSeconds(2), 1));
    assertThat(perSecond.of("requests")).as("each batch in its own second").containsExactly(4, 3);
  }

  @Test
  void aDuplicateInsideAMergedWindowIsDroppedAndTheOthersStillFold() {
    CounterDeltas folded = second("e.s", 2, requests("acme", 100));
    assertThat(Await.result(folder().foldAll(List.of(folded)))).containsExactly(true);
    CounterDeltas a = second("e.s", 1, requests("acme", 1));
    CounterDeltas b = second("e.s", 3, requests("acme", 2));
    assertThat(Await.result(folder().foldAll(List.of(a, folded, b, a)))).containsExactly(true, false, true, false);
    assertThat(minute("acme").of("requests")).containsExactly(103);
  }

  @Test
  void twoInstancesFoldingOverlappingWindowsCountEachBatchOnce() {
    List<CounterDeltas> all = new ArrayList<>();
    for (int i = 1; i <= 12; i++) {
      all.add(second("e.s", i, requests("acme", i), requests("other", 1)));
    }
    // instance one gets batches 1-8, instance two 5-12 (resends after lost acknowledgements)
    Future<List<Boolean>> one = folder().foldAll(all.subList(0, 8));
    Future<List<Boolean>> two = folder().foldAll(all.subList(4, 12));
    long applied = Stream.concat(Await.result(one).stream(), Await.result(two).stream()).filter(x -> x).count();
    assertThat(applied).isEqualTo(12);
    assertThat(minute("acme").of("requests")).containsExactly(78);
    assertThat(minute("other").of("requests")).containsExactly(12);
  }

  @Test
  void concurrentSendsWithResendsToBothInstancesCountOnce() {
    List<Future<?>> acks = new ArrayList<>();
    for (int i = 1; i <= 20; i++) {
      CounterDeltas b = second("e.c", i, requests("acme", 1));
      acks.add(Addresses.METRICS_EDGE.request(vertx.eventBus(), b, new DeliveryOptions()));
      if (i % 4 == 0) {
        acks.add(Addresses.METRICS_EDGE.request(vertx.eventBus(), b, new DeliveryOptions()));
      }
    }
    acks.forEach(Await::result);
    assertThat(minute("acme").of("requests")).containsExactly(20);
    assertThat(batches("folded")).isEqualTo(20);
    assertThat(batches("duplicate")).isEqualTo(5);
  }

  @Test
  void batchesArrivingWhileAFoldIsInFlightOrPastAWindowsBoundAreFoldedAfterIt() {
    // more than one call's worth of batches per instance, all at once: the first call takes at most
    // WINDOW_BATCHES, the rest wait for it and are folded right after, each acknowledged
    int n = 2 * MetricsVerticle.WINDOW_BATCHES + 30;
    List<Future<?>> acks = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      acks.add(Addresses.METRICS_EDGE.request(vertx.eventBus(), second("e.f", i, requests("acme", 1),
          requests("other", 2)), new DeliveryOptions()));
    }
    acks.forEach(Await::result);
    assertThat(minute("acme").of("requests")).containsExactly(n);
    assertThat(minute("other").of("requests")).containsExactly(2L * n);
    assertThat(batches("folded")).isEqualTo(n);
  }

  @Test
  void rowsWithoutAValidTenantOrSiteAreLeftOutAndTheRestIsFolded() {
    send(batch("e.c", 1, new CounterRow("acme", "www", Map.of("requests", 2L), Map.of(), Map.of()),
        new CounterRow("Not A Tenant!", "www", Map.of("requests", 9L), Map.of(), Map.of()),
        new CounterRow("acme", "", Map.of("requests", 9L), Map.of(), Map.of())));
    assertThat(minute("acme").of("requests")).containsExactly(2);
  }

  @Test
  void aBatchTheStoreCannotTakeIsRefusedSoTheEdgeSendsItAgain() {
    Await.result(store.close());
    Throwable refused = Await.failure(Addresses.METRICS_EDGE.request(vertx.eventBus(),
        batch("e.d", 1, new CounterRow("acme", "www", Map.of("requests", 1L), Map.of(), Map.of())),
        new DeliveryOptions()));
    assertThat(refused).isInstanceOf(ReplyException.class);
    assertThat(((ReplyException) refused).failureCode()).isEqualTo(MetricsVerticle.FOLD_FAILED);
    assertThat(batches("failed")).isEqualTo(1);
    store = openStore(vertx);
  }
}
