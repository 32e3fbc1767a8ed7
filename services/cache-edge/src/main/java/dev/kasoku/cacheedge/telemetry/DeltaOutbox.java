package dev.kasoku.cacheedge.telemetry;

import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages.CounterDeltas;
import dev.kasoku.common.prometheus.Prometheus;
import dev.kasoku.common.time.Ticker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.shareddata.Shareable;
import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The edge's side of the acknowledged counter hand-off: every {@link CounterDeltas} batch stays here
 * until a metrics instance replies that it folded it, and is sent again when the reply does not come
 * (no metrics instance yet, a lost message, a killed instance, a store that refused the fold). Folding
 * is idempotent on the batch's (stream, seq), so a resend of a batch whose reply was lost counts once.
 *
 * <p><b>Bounded.</b> At most {@code maxBatches} wait (a batch a second: the bound is how many seconds
 * of counters survive an outage of the metrics role); past it the oldest is dropped, counted in
 * {@link #droppedBatches()} and logged, so a long outage loses the oldest seconds, never memory.
 *
 * <p>Each batch has at most one request in flight; {@link #pump()} (called by the edge's flush
 * timer) sends the batches that have none. Used from one event loop only.
 *
 * <p><b>Meters</b>, over every outbox of the process (one per edge verticle): {@value #PENDING_METER}
 * (Prometheus {@code kasoku_edge_delta_batches_pending}), the batches waiting for an acknowledgement
 * now, which grows by one a second per verticle while no metrics instance answers and stays below the
 * bound; {@value #DROPPED_METER} ({@code kasoku_edge_delta_batches_dropped_total}), the batches given
 * up past the bound.
 */
final class DeltaOutbox {
  private static final System.Logger LOG = System.getLogger(DeltaOutbox.class.getName());
  public static final String PENDING_METER = "kasoku.edge.delta.batches.pending";
  public static final String DROPPED_METER = "kasoku.edge.delta.batches.dropped";
  private static final String SHARED_METERS = "kasoku.edge.delta.batches";
  private final Vertx vertx;
  private final Ticker ticker;
  private final int maxBatches;
  private final DeliveryOptions delivery;
  private final Deque<CounterDeltas> pending = new ArrayDeque<>();
  private final Set<Long> inFlight = new HashSet<>();
  private long droppedBatches;
  private final List<Runnable> drainWatchers = new ArrayList<>();
  private final Meters meters;

  /** The meters every outbox of one Vert.x (process) shares, made by the first of them. */
  private record Meters(LongAdder pending, Counter dropped) implements Shareable {}

  /**
   * @param ackTimeoutMs how long a batch waits for its acknowledgement before it may be sent again
   */
  /** @param ticker measures the drain deadline */
  DeltaOutbox(Vertx vertx, Ticker ticker, int maxBatches, long ackTimeoutMs) {
    if (maxBatches < 1) {
      throw new IllegalArgumentException("maxBatches must be positive: " + maxBatches);
    }
    this.vertx = vertx;
    this.ticker = ticker;
    this.maxBatches = maxBatches;
    this.delivery = new DeliveryOptions().setSendTimeout(ackTimeoutMs);
    this.meters = vertx.sharedData().<String, Meters>getLocalMap(SHARED_METERS).computeIfAbsent("meters", k -> {
      var registry = Prometheus.registry(vertx);
      LongAdder pending = new LongAdder();
      Gauge.builder(PENDING_METER, pending, LongAdder::sum).strongReference(true)
          .description("Counter-delta batches waiting for a metrics instance's acknowledgement").register(registry);
      return new Meters(pending, Counter.builder(DROPPED_METER)
          .description("Counter-delta batches dropped unacknowledged past the edge's bound").register(registry));
    });
  }

  /** Queues a batch (dropping the oldest past the bound) and sends what is not in flight. */
  void offer(CounterDeltas batch) {
    pending.addLast(batch);
    meters.pending().increment();
    while (pending.size() > maxBatches) {
      CounterDeltas old = pending.removeFirst();
      meters.pending().decrement();
      inFlight.remove(old.seq());
      droppedBatches++;
      meters.dropped().increment();
      LOG.log(Level.WARNING, "counter deltas of {0} dropped unacknowledged (window {1}): more than {2} batches wait"
          + " for a metrics instance", old.batchId(), old.windowStart(), Integer.toString(maxBatches));
    }
    pump();
  }

  /** Sends every waiting batch that has no request in flight. */
  void pump() {
    for (CounterDeltas batch : pending) {
      if (inFlight.add(batch.seq())) {
        Addresses.METRICS_EDGE.request(vertx.eventBus(), batch, delivery).onComplete(ar -> {
          inFlight.remove(batch.seq());
          if (ar.succeeded()) {
            if (pending.remove(batch)) {
              meters.pending().decrement();
            }
            notifyDrainWatchers();
          } else {
            LOG.log(Level.DEBUG, "counter deltas {0} not acknowledged, resent later: {1}", batch.batchId(),
                ar.cause().getMessage());
          }
        });
      }
    }
  }

  /**
   * Sends what is not in flight and completes with true once nothing waits, or with false after
   * {@code maxMs} (what is left stays queued). A batch whose acknowledgement fails is sent again
   * within 50 ms while the time lasts.
   */
  Future<Boolean> drain(long maxMs) {
    Promise<Boolean> done = Promise.promise();
    long deadline = ticker.read() + TimeUnit.MILLISECONDS.toNanos(maxMs);
    drainStep(done, deadline);
    return done.future();
  }

  private void drainStep(Promise<Boolean> done, long deadline) {
    if (pending.isEmpty()) {
      done.tryComplete(true);
      return;
    }
    long left = TimeUnit.NANOSECONDS.toMillis(deadline - ticker.read());
    if (left <= 0) {
      done.tryComplete(false);
      return;
    }
    pump();
    // re-check as soon as an acknowledgement arrives, else after 50 ms (a refused batch is sent again then)
    long timer = vertx.setTimer(Math.min(left, 50), id -> drainStep(done, deadline));
    drainWatchers.add(() -> {
      if (vertx.cancelTimer(timer)) {
        drainStep(done, deadline);
      }
    });
  }

  private void notifyDrainWatchers() {
    if (drainWatchers.isEmpty()) {
      return;
    }
    List<Runnable> watchers = new ArrayList<>(drainWatchers);
    drainWatchers.clear();
    watchers.forEach(Runnable::run);
  }

  /** Batches not yet acknowledged. */
  int pending() {
    return pending.size();
  }

  /** Batches dropped unacknowledged because more than the bound waited. */
  long droppedBatches() {
    return droppedBatches;
  }
}
