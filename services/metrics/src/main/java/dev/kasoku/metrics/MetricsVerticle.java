package dev.kasoku.metrics;

import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages.CounterDeltas;
import dev.kasoku.common.bus.Messages.TenantDeleted;
import dev.kasoku.common.prometheus.Prometheus;
import dev.kasoku.common.service.ServiceContext;
import dev.kasoku.metrics.impl.DeltaFolder;
import dev.kasoku.metrics.impl.StatsHandlers;
import dev.kasoku.metrics.impl.StatsService;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Entry verticle of the metrics service: folds the edges' counter deltas into the store's series
 * and answers the stats and usage operations of docs/openapi.yaml from them.
 *
 * <p>The {@code kasoku.metrics.edge} batches received within {@link #WINDOW_MS}, or while the
 * previous fold is in flight (at most {@link #WINDOW_BATCHES} and {@link #WINDOW_ROWS} rows), are merged
 * and folded in one store call ({@link DeltaFolder#foldAll}), and each is answered only once that
 * fold is stored; a failed fold is answered with {@link #FOLD_FAILED}, and the edge sends the batch again.
 * The store dedupes on the batch's id, so any number of metrics instances can consume the address
 * side by side (the bus load-balances it) and a batch delivered twice counts once. The instance keeps
 * no state of its own besides a short-lived memory of which tenants exist (counters of a deleted
 * tenant are not folded: {@link DeltaFolder}).
 *
 * <p>{@value #BATCHES_METER} (Prometheus {@code kasoku_metrics_delta_batches_total}) counts the batches
 * this process received by {@code outcome}: {@code folded} (applied now), {@code duplicate} (folded
 * before: a resend, or a batch another instance folded) and {@code failed} (refused, to be resent).
 */
public final class MetricsVerticle extends VerticleBase {
  private static final System.Logger LOG = System.getLogger(MetricsVerticle.class.getName());
  /** Failure code of a delta batch that could not be folded (the store failed): the edge resends it. */
  public static final int FOLD_FAILED = 503;
  /** Counter-delta batches received, by outcome (folded, duplicate, failed). */
  public static final String BATCHES_METER = "kasoku.metrics.delta.batches";

  /** How long a batch waits for others to be folded with it (its acknowledgement waits as long). */
  public static final long WINDOW_MS = 200;
  /** A window is folded at once when it holds this many batches; one store call takes at most this many. */
  public static final int WINDOW_BATCHES = 50;
  /** One store call folds at most this many rows (before merging), or one batch if it is larger. */
  public static final int WINDOW_ROWS = 10_000;

  private final ServiceContext ctx;

  public MetricsVerticle(ServiceContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public Future<?> start() {
    DeltaFolder folder = new DeltaFolder(ctx.store().stats(), ctx.store().tenants(), ctx.clock());
    StatsHandlers handlers = new StatsHandlers(new StatsService(ctx.store().stats(), ctx.clock()));
    ctx.api().operation("getStats").addHandler(handlers::stats);
    ctx.api().operation("getUsage").addHandler(handlers::usage);
    Outcomes outcomes = new Outcomes(Prometheus.registry(vertx));
    MessageConsumer<CounterDeltas> deltas = Addresses.METRICS_EDGE.consumer(vertx.eventBus(),
        new Window(folder, outcomes)::add);
    // the store erases a deleted tenant's series; this stops late counters of it from writing them again
    MessageConsumer<TenantDeleted> deleted = Addresses.TENANT_DELETED.consumer(vertx.eventBus(),
        msg -> folder.forget(msg.body().tenant()));
    ctx.health().register("role:metrics", Future::succeededFuture);
    return Future.all(deltas.completion(), deleted.completion());
  }

  /** The counters of {@link #BATCHES_METER}, one per outcome. */
  private record Outcomes(Counter folded, Counter duplicate, Counter failed) {
    Outcomes(MeterRegistry registry) {
      this(outcome(registry, "folded"), outcome(registry, "duplicate"), outcome(registry, "failed"));
    }

    private static Counter outcome(MeterRegistry registry, String outcome) {
      return Counter.builder(BATCHES_METER).tag("outcome", outcome)
          .description("Counter-delta batches of the edges this process received, by outcome").register(registry);
    }
  }

  /**
   * Gathers the batches received for up to {@link #WINDOW_MS} and folds them in one store call
   * ({@link DeltaFolder#foldAll}), then answers each: folded, duplicate, or failed (all of the call, to
   * be resent). One fold is in flight at a time: batches that arrive meanwhile wait for it and are
   * folded together right after, so under load the merged windows grow instead of the calls queuing
   * in the store. One call takes at most {@link #WINDOW_BATCHES} batches and, past its first batch,
   * {@link #WINDOW_ROWS} rows, so a backlog (an outage's resends) is folded in bounded steps. Runs on
   * the verticle's event loop.
   */
  private final class Window {
    private final DeltaFolder folder;
    private final Outcomes outcomes;
    private final ArrayDeque<Message<CounterDeltas>> pending = new ArrayDeque<>();
    private int pendingRows;
    private long timer = -1;
    private boolean inFlight;

    Window(DeltaFolder folder, Outcomes outcomes) {
      this.folder = folder;
      this.outcomes = outcomes;
    }

    void add(Message<CounterDeltas> msg) {
      pending.add(msg);
      pendingRows += msg.body().rows().size();
      if (inFlight) {
        return;
      }
      if (pending.size() >= WINDOW_BATCHES || pendingRows >= WINDOW_ROWS) {
        flush();
      } else if (timer < 0) {
        timer = vertx.setTimer(WINDOW_MS, id -> {
          timer = -1;
          flush();
        });
      }
    }

    private void flush() {
      if (timer >= 0) {
        vertx.cancelTimer(timer);
        timer = -1;
      }
      if (pending.isEmpty() || inFlight) {
        return;
      }
      List<Message<CounterDeltas>> msgs = new ArrayList<>();
      int rows = 0;
      while (!pending.isEmpty() && msgs.size() < WINDOW_BATCHES
          && (msgs.isEmpty() || rows + pending.peek().body().rows().size() <= WINDOW_ROWS)) {
        Message<CounterDeltas> next = pending.poll();
        rows += next.body().rows().size();
        msgs.add(next);
      }
      pendingRows -= rows;
      inFlight = true;
      Future<List<Boolean>> folded;
      try {
        folded = folder.foldAll(msgs.stream().map(Message::body).toList());
      } catch (RuntimeException e) {
        folded = Future.failedFuture(e);
      }
      folded.onSuccess(applied -> {
        for (int i = 0; i < msgs.size(); i++) {
          (applied.get(i) ? outcomes.folded() : outcomes.duplicate()).increment();
          msgs.get(i).reply(null);
        }
      }).onFailure(e -> {
        LOG.log(Level.WARNING, "{0} counter-delta batches not folded, the edges will resend: {1}", msgs.size(),
            e.getMessage());
        for (Message<CounterDeltas> msg : msgs) {
          outcomes.failed().increment();
          msg.fail(FOLD_FAILED, String.valueOf(e.getMessage()));
        }
      }).onComplete(done -> {
        inFlight = false;
        // what arrived meanwhile has waited for this fold already: fold it now
        flush();
      });
    }
  }
}
