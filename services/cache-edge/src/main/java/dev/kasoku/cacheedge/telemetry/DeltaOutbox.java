package dev.kasoku.cacheedge.telemetry;

import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages.CounterDeltas;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

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
 */
final class DeltaOutbox {
  private static final System.Logger LOG = System.getLogger(DeltaOutbox.class.getName());
  private final Vertx vertx;
  private final int maxBatches;
  private final DeliveryOptions delivery;
  private final Deque<CounterDeltas> pending = new ArrayDeque<>();
  private final Set<Long> inFlight = new HashSet<>();
  private long droppedBatches;
  private final List<Runnable> drainWatchers = new ArrayList<>();

  /**
   * @param ackTimeoutMs how long a batch waits for its acknowledgement before it may be sent again
   */
  DeltaOutbox(Vertx vertx, int maxBatches, long ackTimeoutMs) {
    if (maxBatches < 1) {
      throw new IllegalArgumentException("maxBatches must be positive: " + maxBatches);
    }
    this.vertx = vertx;
    this.maxBatches = maxBatches;
    this.delivery = new DeliveryOptions().setSendTimeout(ackTimeoutMs);
  }

  /** Queues a batch (dropping the oldest past the bound) and sends what is not in flight. */
  void offer(CounterDeltas batch) {
    pending.addLast(batch);
    while (pending.size() > maxBatches) {
      CounterDeltas old = pending.removeFirst();
      inFlight.remove(old.seq());
      droppedBatches++;
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
            pending.remove(batch);
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
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(maxMs);
    drainStep(done, deadline);
    return done.future();
  }

  private void drainStep(Promise<Boolean> done, long deadline) {
    if (pending.isEmpty()) {
      done.tryComplete(true);
      return;
    }
    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
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
