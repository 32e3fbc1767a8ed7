package dev.kasoku.cacheedge.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages.CounterDeltas;
import dev.kasoku.common.bus.Messages.CounterRow;
import dev.kasoku.common.bus.RecordCodec;
import dev.kasoku.common.prometheus.Prometheus;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.FakeTicker;
import dev.kasoku.common.time.Ticker;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The edge keeps each counter batch until a metrics instance acknowledges it: a refused or
 * unanswered batch is sent again with the same (stream, seq), and past the bound the oldest batch
 * is dropped and counted. A real event bus with real consumers.
 */
class DeltaOutboxTest {
  private Vertx vertx;
  private Context context;
  private DeltaOutbox outbox;
  private long pumpTimer;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    RecordCodec.registerAll(vertx);
    context = vertx.getOrCreateContext();
  }

  @AfterEach
  void stop() {
    Await.result(vertx.close());
  }

  private void newOutbox(int max, long ackTimeoutMs) {
    onContext(() -> {
      outbox = new DeltaOutbox(vertx, Ticker.system(), max, ackTimeoutMs);
      // the edge's flush timer, faster
      pumpTimer = vertx.setPeriodic(50, id -> outbox.pump());
      return null;
    });
  }

  private <T> T onContext(Callable<T> op) {
    Promise<T> p = Promise.promise();
    context.runOnContext(v -> {
      try {
        p.complete(op.call());
      } catch (Exception e) {
        p.fail(e);
      }
    });
    return Await.result(p.future());
  }

  private static CounterDeltas batch(long seq) {
    return new CounterDeltas("edge-1", "edge-1.abc", seq, Instant.parse("2026-12-01T10:00:00Z"),
        List.of(new CounterRow("acme", "www", Map.of("requests", seq), Map.of(), Map.of())));
  }

  private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 10_000;
    while (!condition.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(20);
    }
  }

  private void consume(java.util.function.Consumer<io.vertx.core.eventbus.Message<CounterDeltas>> handler) {
    MessageConsumer<CounterDeltas> c = Addresses.METRICS_EDGE.consumer(vertx.eventBus(), handler::accept);
    Await.result(c.completion());
  }

  @Test
  void aRefusedBatchIsSentAgainUntilAcknowledged() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    AtomicInteger refusals = new AtomicInteger(2);
    consume(m -> {
      seen.add(m.body().batchId());
      if (refusals.getAndDecrement() > 0) {
        m.fail(503, "store down");
      } else {
        m.reply(null);
      }
    });
    newOutbox(10, 5000);
    onContext(() -> {
      outbox.offer(batch(1));
      return null;
    });
    awaitTrue(() -> onContext(() -> outbox.pending()) == 0, "the batch is acknowledged");
    assertThat(seen).containsExactly("edge-1.abc/1", "edge-1.abc/1", "edge-1.abc/1");
  }

  @Test
  void drainResendsARefusedBatchAndCompletesOnceEveryBatchIsAcknowledged() throws Exception {
    List<Long> seen = new CopyOnWriteArrayList<>();
    AtomicInteger refusals = new AtomicInteger(1);
    consume(m -> {
      seen.add(m.body().seq());
      if (m.body().seq() == 2 && refusals.getAndDecrement() > 0) {
        m.fail(503, "store down");
      } else {
        m.reply(null);
      }
    });
    // no pump timer: only the drain sends again
    Boolean acked = onContext(() -> {
      outbox = new DeltaOutbox(vertx, Ticker.system(), 10, 5000);
      outbox.offer(batch(1));
      outbox.offer(batch(2));
      return outbox.drain(2000);
    }).toCompletionStage().toCompletableFuture().get(5, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(acked).isTrue();
    assertThat(onContext(() -> outbox.pending())).isZero();
    assertThat(seen).containsExactlyInAnyOrder(1L, 2L, 2L);
  }

  @Test
  void drainGivesUpAfterItsBoundAndKeepsWhatIsLeft() throws Exception {
    long started = System.nanoTime();
    Boolean acked = onContext(() -> {
      outbox = new DeltaOutbox(vertx, Ticker.system(), 10, 5000);
      outbox.offer(batch(1)); // nobody consumes: every send fails at once
      return outbox.drain(300);
    }).toCompletionStage().toCompletableFuture().get(5, java.util.concurrent.TimeUnit.SECONDS);
    long tookMs = (System.nanoTime() - started) / 1_000_000;
    assertThat(acked).isFalse();
    assertThat(tookMs).isBetween(250L, 2000L);
    assertThat(onContext(() -> outbox.pending())).isEqualTo(1);
  }

  /** The drain's deadline is read from the outbox's ticker, not the JVM's clock: a frozen ticker never ends it. */
  @Test
  void drainGivesUpWhenItsTickerPassesTheBoundNotBefore() throws Exception {
    FakeTicker ticker = new FakeTicker();
    Future<Boolean> drained = onContext(() -> {
      outbox = new DeltaOutbox(vertx, ticker, 10, 5000);
      outbox.offer(batch(1)); // nobody consumes: every send fails at once
      return outbox.drain(300);
    });
    Thread.sleep(800);
    assertThat(drained.isComplete()).as("300 ms of wall time passed, none of the ticker's").isFalse();
    ticker.advance(java.time.Duration.ofMillis(300));
    Boolean acked = drained.toCompletionStage().toCompletableFuture().get(5, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(acked).isFalse();
    assertThat(onContext(() -> outbox.pending())).isEqualTo(1);
  }

  @Test
  void anUnansweredBatchIsSentAgainAfterTheAcknowledgementTimeout() throws Exception {
    List<Long> seen = new CopyOnWriteArrayList<>();
    consume(m -> {
      seen.add(m.body().seq());
      if (seen.size() > 1) {
        m.reply(null);
      }
      // the first delivery is lost: no reply at all
    });
    newOutbox(10, 300);
    onContext(() -> {
      outbox.offer(batch(7));
      return null;
    });
    awaitTrue(() -> onContext(() -> outbox.pending()) == 0, "the resent batch is acknowledged");
    assertThat(seen).containsExactly(7L, 7L);
  }

  @Test
  void withoutAMetricsInstanceTheOldestBatchesPastTheBoundAreDroppedAndCounted() throws Exception {
    newOutbox(3, 5000);
    onContext(() -> {
      for (long s = 1; s <= 5; s++) {
        outbox.offer(batch(s));
      }
      return null;
    });
    assertThat(onContext(() -> outbox.pending())).isEqualTo(3);
    assertThat(onContext(() -> outbox.droppedBatches())).isEqualTo(2);
    assertThat(pendingMeter()).as("kasoku_edge_delta_batches_pending").isEqualTo(3);
    assertThat(droppedMeter()).as("kasoku_edge_delta_batches_dropped_total").isEqualTo(2);

    List<Long> seen = new CopyOnWriteArrayList<>();
    consume(m -> {
      seen.add(m.body().seq());
      m.reply(null);
    });
    awaitTrue(() -> onContext(() -> outbox.pending()) == 0, "the kept batches are delivered once a consumer appears");
    assertThat(seen).containsExactlyInAnyOrder(3L, 4L, 5L);
    assertThat(pendingMeter()).isZero();
    assertThat(droppedMeter()).isEqualTo(2);
  }

  @Test
  void thePendingMeterCountsTheBatchesOfEveryOutboxOfTheProcess() throws Exception {
    newOutbox(10, 5000);
    DeltaOutbox other = onContext(() -> new DeltaOutbox(vertx, Ticker.system(), 10, 5000));
    onContext(() -> {
      outbox.offer(batch(1));
      outbox.offer(batch(2));
      other.offer(batch(1));
      return null;
    });
    assertThat(pendingMeter()).isEqualTo(3);
  }

  private double pendingMeter() {
    return Prometheus.registry(vertx).get(DeltaOutbox.PENDING_METER).gauge().value();
  }

  private double droppedMeter() {
    return Prometheus.registry(vertx).get(DeltaOutbox.DROPPED_METER).counter().count();
  }
}
