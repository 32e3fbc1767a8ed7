package dev.kasoku.logging;

import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages.AuditEvent;
import dev.kasoku.common.service.ServiceContext;
import dev.kasoku.logging.impl.AuditHandlers;
import dev.kasoku.logging.impl.AuditService;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;

/**
 * Entry verticle of the logging service. Today it keeps the audit trail: it takes in the
 * {@link AuditEvent}s every control-plane service sends on {@code kasoku.audit} and appends each to
 * its tenant's hash chain (or the platform's), serves a tenant's records and the verification of
 * chains, and applies the audit retention every {@link LoggingSettings#sweepEvery}. Any number of
 * instances may run: events are load-balanced over them and the store keeps every chain linear.
 * Access-log intake, storage and shipping are not built yet.
 */
public final class LoggingVerticle extends VerticleBase {
  private static final System.Logger LOG = System.getLogger(LoggingVerticle.class.getName());
  private final ServiceContext ctx;
  private final LoggingSettings settings;

  public LoggingVerticle(ServiceContext ctx) {
    this(ctx, LoggingSettings.defaults());
  }

  public LoggingVerticle(ServiceContext ctx, LoggingSettings settings) {
    this.ctx = ctx;
    this.settings = settings;
  }

  @Override
  public Future<?> start() {
    AuditService audit = new AuditService(vertx, ctx.store().audit(), ctx.clock(), settings);
    AuditHandlers handlers = new AuditHandlers(audit);
    MessageConsumer<AuditEvent> events = Addresses.AUDIT.consumer(vertx.eventBus(), m -> audit.intake(m.body()));
    ctx.api().operation("getAudit").addHandler(handlers::records);
    ctx.api().operation("verifyAudit").addHandler(handlers::verify);
    ctx.api().operation("verifyAllAudit").addHandler(handlers::verifyAll);
    vertx.setPeriodic(settings.sweepEvery().toMillis(), t -> audit.sweep()
        .onSuccess(cut -> {
          if (cut > 0) {
            LOG.log(System.Logger.Level.INFO, "audit retention: {0} records older than {1} cut", cut,
                settings.auditRetention());
          }
        })
        .onFailure(e -> LOG.log(System.Logger.Level.WARNING, "audit retention sweep failed (retried in "
            + settings.sweepEvery() + "): " + e.getMessage())));
    ctx.health().register("role:logging", Future::succeededFuture);
    return events.completion();
  }
}
