package dev.kasoku.logging;

import dev.kasoku.common.audit.AuditTrail;
import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages.AccessLogBatch;
import dev.kasoku.common.bus.Messages.AuditEvent;
import dev.kasoku.common.bus.Messages.LogRangeQuery;
import dev.kasoku.common.bus.Messages.TenantDeleted;
import dev.kasoku.common.http.ApiException;
import dev.kasoku.common.http.ProblemType;
import dev.kasoku.common.http.Replies;
import dev.kasoku.common.prometheus.Prometheus;
import dev.kasoku.common.security.Caller;
import dev.kasoku.common.service.ServiceContext;
import dev.kasoku.logging.impl.AccessLogService;
import dev.kasoku.logging.impl.AuditHandlers;
import dev.kasoku.logging.impl.AuditService;
import dev.kasoku.logging.impl.ClockSkew;
import dev.kasoku.logging.impl.LogQuery;
import dev.kasoku.logging.impl.LogRetention;
import dev.kasoku.logging.sink.InstanceId;
import dev.kasoku.logging.sink.LogSinks;
import dev.kasoku.logging.sink.SinkSettings;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Entry verticle of the logging service.
 *
 * <p><b>Access logs.</b> It takes in the edges' {@link AccessLogBatch}es on {@code kasoku.log.access}
 * and answers a batch only once it is on this instance's disk ({@link AccessLogService}), serves
 * {@code GET /v1/tenants/{t}/logs} gathered from every logging instance (each answers steps of a
 * download on its own bus address and renews its entry in the store's registry every
 * {@link #HEARTBEAT_EVERY}), erases a deleted tenant's files
 * and the files older than their tenant's retention ({@link LogRetention}, set with
 * {@code PUT /v1/tenants/{t}/log-settings}; {@link LoggingSettings#logRetention} by default). At
 * start it checks and repairs every
 * stored file before it takes in anything. Edges keep each batch until it is answered and send it
 * again otherwise; a resend of a batch this instance stored is dropped (and counted), and every
 * batch's send time is compared with this instance's clock ({@link ClockSkew}).
 *
 * <p><b>Log sinks.</b> {@link LogSinks} serves {@code GET/PUT /v1/tenants/{t}/log-sinks} and ships
 * what this instance stored to every tenant's sinks, each with its own durable cursor over the
 * stored files (several instances: each ships its own files).
 *
 * <p><b>Audit trail.</b> It takes in the {@link AuditEvent}s every control-plane service sends on
 * {@code kasoku.audit} and appends each to its tenant's hash chain (or the platform's), serves a
 * tenant's records and the verification of chains, and applies the audit retention. Any number of
 * instances may run: events are load-balanced over them and the store keeps every chain linear.
 */
public final class LoggingVerticle extends VerticleBase {
  /** How often this instance renews its entry in the store's registry of logging instances. */
  public static final Duration HEARTBEAT_EVERY = Duration.ofSeconds(10);
  private static final System.Logger LOG = System.getLogger(LoggingVerticle.class.getName());
  private final ServiceContext ctx;
  private final LoggingSettings settings;
  private final SinkSettings sinkSettings;
  private AccessLogService logs;
  private ClockSkew skew;
  private LogSinks sinks;
  /** Set once start has read it; read by API handlers on the HTTP server's event loops. */
  private volatile String instance;
  private LogRetention retention;

  /** The logging role as the launcher runs it: the defaults, with the audit retention of the config. */
  public LoggingVerticle(ServiceContext ctx) {
    this(ctx, LoggingSettings.defaults().withAuditRetention(ctx.config().auditRetention()));
  }

  public LoggingVerticle(ServiceContext ctx, LoggingSettings settings) {
    this(ctx, settings, SinkSettings.defaults());
  }

  public LoggingVerticle(ServiceContext ctx, LoggingSettings settings, SinkSettings sinkSettings) {
    this.ctx = ctx;
    this.settings = settings;
    this.sinkSettings = sinkSettings;
  }

  @Override
  public Future<?> start() {
    AuditService audit = new AuditService(vertx, ctx.store().audit(), ctx.clock(), settings);
    AuditHandlers handlers = new AuditHandlers(audit);
    MeterRegistry meters = Prometheus.registry(vertx);
    logs = new AccessLogService(vertx, ctx.config().logDir(), ctx.clock(), meters);
    skew = new ClockSkew(ctx.clock(), meters);
    MessageConsumer<AuditEvent> events = Addresses.AUDIT.consumer(vertx.eventBus(), m -> audit.intake(m.body()));
    ctx.api().operation("getAudit").addHandler(handlers::records);
    ctx.api().operation("verifyAudit").addHandler(handlers::verify);
    ctx.api().operation("verifyAllAudit").addHandler(handlers::verifyAll);
    retention = new LogRetention(ctx.store().logSinks(), ctx.store().notifications(),
        new AuditTrail(vertx.eventBus(), ctx.clock()), ctx.clock(), settings.logRetention());
    ctx.api().operation("getLogSettings").addHandler(rc -> retention.get(rc.pathParam("t"))
        .compose(body -> Replies.json(rc, 200, body)).onFailure(rc::fail));
    ctx.api().operation("putLogSettings").addHandler(rc -> {
      Future<?> put;
      try {
        put = retention.put(rc.pathParam("t"), Replies.bodyTree(rc), Caller.of(rc));
      } catch (ApiException e) {
        put = Future.failedFuture(e);
      }
      put.compose(body -> Replies.json(rc, 200, body)).onFailure(rc::fail);
    });
    ctx.api().operation("getLogs").addHandler(rc -> {
      LogQuery query;
      try {
        query = LogQuery.parse(rc.queryParams());
      } catch (ApiException e) {
        rc.fail(e);
        return;
      }
      if (instance == null) { // still starting: it does not know its own name yet
        rc.fail(new ApiException(ProblemType.UNAVAILABLE, "the logging role is starting", List.of(),
            Map.of("Retry-After", "1")));
        return;
      }
      ctx.store().logSinks().instances()
          .onSuccess(registered -> logs.download(rc, rc.pathParam("t"), query, registered, HEARTBEAT_EVERY, instance))
          .onFailure(rc::fail);
    });
    MessageConsumer<TenantDeleted> deletions = Addresses.TENANT_DELETED.consumer(vertx.eventBus(),
        m -> logs.eraseTenant(m.body().tenant())
            .onSuccess(n -> LOG.log(System.Logger.Level.INFO, "tenant " + m.body().tenant() + ": " + n
                + " access-log files erased"))
            .onFailure(e -> LOG.log(System.Logger.Level.ERROR, "tenant " + m.body().tenant()
                + ": access-log erasure failed", e)));
    vertx.setPeriodic(settings.sweepEvery().toMillis(), t -> sweep(audit));
    ctx.health().register("role:logging", Future::succeededFuture);
    // repair what a crash left before taking in anything new (and before sinks read it)
    Future<LogSinks> shipping = LogSinks.create(vertx, ctx, sinkSettings).onSuccess(s -> sinks = s);
    // the id of this instance's log directory (LogSinks created it): its name in downloads and in the registry
    Future<String> named = shipping.compose(s -> vertx.executeBlocking(() -> InstanceId.of(ctx.config().logDir()), false))
        .onSuccess(id -> instance = id)
        .compose(id -> ctx.store().logSinks().instanceSeen(id, ctx.clock().instant()).map(id)
            // a store that is down at start must not keep the role from starting (it takes in and
            // stores records without the store): the periodic heartbeat registers the instance later
            .recover(e -> {
              LOG.log(System.Logger.Level.WARNING, "logging instance " + id + ": not registered yet (retried in "
                  + HEARTBEAT_EVERY + "): " + e.getMessage());
              return Future.succeededFuture(id);
            }));
    return named.compose(s -> logs.recover()).compose(recovered -> {
      LOG.log(System.Logger.Level.INFO, "access-log store: {0} files checked, {1} repaired", recovered.files(),
          recovered.repaired());
      MessageConsumer<AccessLogBatch> intake = Addresses.LOG_ACCESS.consumer(vertx.eventBus(), m -> {
        skew.observe(m.body());
        logs.intake(m.body())
            .onSuccess(m::reply)
            .onFailure(e -> {
              LOG.log(System.Logger.Level.WARNING, "access-log batch of " + m.body().records().size()
                  + " records not stored (the edge keeps it): " + e.getMessage());
              m.fail(500, "not stored: " + e.getMessage());
            });
      });
      MessageConsumer<LogRangeQuery> ranges = Addresses.logRange(instance).consumer(vertx.eventBus(),
          m -> logs.range(instance, m.body()).onSuccess(m::reply).onFailure(e -> {
            LOG.log(System.Logger.Level.WARNING, "log download step of tenant " + m.body().tenant() + " failed: "
                + e.getMessage());
            m.fail(500, "log range not read: " + e.getMessage());
          }));
      vertx.setPeriodic(HEARTBEAT_EVERY.toMillis(), t -> ctx.store().logSinks().instanceSeen(instance, ctx.clock().instant())
          .onFailure(e -> LOG.log(System.Logger.Level.WARNING, "logging instance " + instance
              + ": registry heartbeat not stored (retried in " + HEARTBEAT_EVERY + "): " + e.getMessage())));
      return Future.all(events.completion(), deletions.completion(), intake.completion(), ranges.completion());
    }).compose(v -> sinks.start());
  }

  private void sweep(AuditService audit) {
    audit.sweep()
        .onSuccess(cut -> {
          if (cut > 0) {
            LOG.log(System.Logger.Level.INFO, "audit retention: {0} records older than {1} cut", cut,
                settings.auditRetention());
          }
        })
        .onFailure(e -> LOG.log(System.Logger.Level.WARNING, "audit retention sweep failed (retried in "
            + settings.sweepEvery() + "): " + e.getMessage()));
    logs.tenants().compose(retention::of).compose(byTenant -> logs.sweep(byTenant, settings.logRetention()))
        .onSuccess(n -> {
          if (n > 0) {
            LOG.log(System.Logger.Level.INFO, "access-log retention: {0} hour files past their tenant''s retention erased",
                n);
          }
        })
        .onFailure(e -> LOG.log(System.Logger.Level.WARNING, "access-log retention sweep failed: " + e.getMessage()));
    forgetLongGoneInstances();
  }

  /**
   * Takes out of the registry the logging instances not seen for longer than any retention: no
   * record they stored can still be asked for, so a download must not name them as missing.
   */
  private void forgetLongGoneInstances() {
    Duration longest = Duration.ofDays(LogRetention.MAX_DAYS).compareTo(settings.logRetention()) >= 0
        ? Duration.ofDays(LogRetention.MAX_DAYS) : settings.logRetention();
    Instant before = ctx.clock().instant().minus(longest).minus(Duration.ofDays(1));
    ctx.store().logSinks().instances().compose(all -> {
      List<Future<Void>> forgotten = new ArrayList<>();
      all.forEach((id, seen) -> {
        if (seen.isBefore(before)) {
          LOG.log(System.Logger.Level.INFO, "logging instance " + id + " unseen since " + seen
              + ", longer than any retention: taken out of the registry");
          forgotten.add(ctx.store().logSinks().forgetInstance(id));
        }
      });
      return Future.all(forgotten);
    }).onFailure(e -> LOG.log(System.Logger.Level.WARNING, "logging instance registry sweep failed: " + e.getMessage()));
  }

  @Override
  public Future<?> stop() {
    if (skew != null) {
      skew.close();
    }
    Future<Void> shipping = sinks == null ? Future.succeededFuture() : sinks.close();
    return shipping.eventually(() -> logs == null ? Future.succeededFuture() : logs.close());
  }
}
