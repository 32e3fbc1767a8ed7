package dev.kasoku.purge;

import dev.kasoku.common.audit.AuditTrail;
import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages.NodeHeartbeat;
import dev.kasoku.common.bus.Messages.PurgeAck;
import dev.kasoku.common.bus.Messages.PurgeCommand;
import dev.kasoku.common.service.ServiceContext;
import dev.kasoku.purge.impl.PurgeHandlers;
import dev.kasoku.purge.impl.PurgeService;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import java.time.Duration;

/**
 * Entry verticle of the purge service: wires the purge use cases ({@link PurgeService}) to the
 * contract's {@code purge} and {@code getPurge} operations ({@link PurgeHandlers}) and to the bus
 * (edges' heartbeats and acks, purges other instances accepted), and keeps the purge log bounded.
 *
 * <p>Every {@link LogRetention#checkEvery} this instance trims the log to the newest
 * {@link LogRetention#keepEntries} (several instances trimming is harmless). An edge that fell
 * further behind than that sees the gap and drops its whole cache rather than miss a purge.
 */
public final class PurgeVerticle extends VerticleBase {
  /**
   * How much of the purge log is kept.
   *
   * @param keepEntries entries kept after each trim (the newest)
   * @param checkEvery how often this instance trims
   */
  public record LogRetention(long keepEntries, Duration checkEvery) {
    /** About 50 MB of log; at 100 purges/s, 17 minutes of history. */
    public static final long DEFAULT_KEEP_ENTRIES = 100_000;
    public static final Duration DEFAULT_CHECK_EVERY = Duration.ofSeconds(10);

    public LogRetention {
      if (keepEntries < 1 || checkEvery.toMillis() < 1) {
        throw new IllegalArgumentException("keepEntries and checkEvery must be positive");
      }
    }

    public static LogRetention defaults() {
      return new LogRetention(DEFAULT_KEEP_ENTRIES, DEFAULT_CHECK_EVERY);
    }
  }

  private final ServiceContext ctx;
  private final PurgeSettings settings;
  private final LogRetention retention;

  public PurgeVerticle(ServiceContext ctx) {
    this(ctx, PurgeSettings.defaults());
  }

  public PurgeVerticle(ServiceContext ctx, PurgeSettings settings) {
    this(ctx, settings, LogRetention.defaults());
  }

  public PurgeVerticle(ServiceContext ctx, PurgeSettings settings, LogRetention retention) {
    this.ctx = ctx;
    this.settings = settings;
    this.retention = retention;
  }

  @Override
  public Future<?> start() {
    PurgeService purges = new PurgeService(ctx.store(), vertx.eventBus(),
        new AuditTrail(vertx.eventBus(), ctx.clock()), ctx.clock(), settings);
    PurgeHandlers handlers = new PurgeHandlers(purges);
    MessageConsumer<NodeHeartbeat> beats = Addresses.NODE_HEARTBEAT.consumer(vertx.eventBus(),
        m -> purges.heard(m.body()));
    MessageConsumer<PurgeCommand> commands = Addresses.PURGE.consumer(vertx.eventBus(),
        m -> purges.published(m.body()));
    MessageConsumer<PurgeAck> acks = Addresses.PURGE_ACK.consumer(vertx.eventBus(), m -> purges.acked(m.body()));
    ctx.api().operation("purge").addHandler(handlers::purge);
    ctx.api().operation("getPurge").addHandler(handlers::getPurge);
    ctx.health().register("role:purge", Future::succeededFuture);
    vertx.setPeriodic(retention.checkEvery().toMillis(), t -> purges.trimLog(retention.keepEntries()));
    return Future.all(beats.completion(), commands.completion(), acks.completion());
  }
}
