package dev.kasoku.purge;

import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages.AuditEvent;
import dev.kasoku.common.bus.Messages.NodeHeartbeat;
import dev.kasoku.common.bus.Messages.PurgeAck;
import dev.kasoku.common.bus.Messages.PurgeCommand;
import dev.kasoku.common.bus.RecordCodec;
import dev.kasoku.common.http.ApiException;
import dev.kasoku.common.model.HostBinding;
import dev.kasoku.common.model.Ids;
import dev.kasoku.common.model.PurgeRecord;
import dev.kasoku.common.service.ServiceContext;
import dev.kasoku.common.store.impl.StoreJson;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Entry verticle of the purge service: {@code POST /v1/tenants/{t}/purge} and
 * {@code GET /v1/tenants/{t}/purge/{id}}.
 *
 * <p>A purge goes: validate (400) → tenant rate limit in the store (429) → every named host must
 * belong to the tenant (403) → append to the durable purge log → track → publish a
 * {@link PurgeCommand} on {@code kasoku.purge} → 202. The append comes before the answer, so a
 * purge the caller was told about survives any crash: edges replay the log from the last sequence
 * they applied (see the edge's purge agent), and a lost bus message only delays a purge.
 *
 * <p>Completion: each edge publishes a {@link PurgeAck}; every purge instance keeps the status of
 * every recent purge in memory ({@link PurgeTracker}) and the edges it expects from their
 * heartbeats ({@link LiveEdges}), so any instance can answer the status and {@code ?wait=true}
 * answers as soon as the last live edge acked, or {@code partial} after the wait bound.
 *
 * <p>Every accepted, refused (403, 429) and completed purge is sent to the audit trail.
 *
 * <p>The log is kept bounded: every {@link LogRetention#checkEvery} this instance trims it to the
 * newest {@link LogRetention#keepEntries} (several instances trimming is harmless). An edge that fell
 * further behind than that sees the gap and drops its whole cache rather than miss a purge.
 */
public final class PurgeVerticle extends VerticleBase {
  /** Length of generated purge ids. */
  static final int ID_LENGTH = 20;

  private static final System.Logger LOG = System.getLogger(PurgeVerticle.class.getName());

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
  private PurgeTracker tracker;
  private LiveEdges edges;
  private PurgeRateLimiter limiter;

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
    tracker = new PurgeTracker(ctx.clock(), settings, this::storeStatus);
    edges = new LiveEdges(ctx.clock(), settings.edgeExpiry());
    limiter = new PurgeRateLimiter(ctx.store().access(), settings.rateCapacity(), settings.rateWindow());
    MessageConsumer<NodeHeartbeat> beats = vertx.eventBus().consumer(Addresses.NODE_HEARTBEAT,
        m -> edges.heard(m.body()));
    MessageConsumer<PurgeCommand> commands = vertx.eventBus().consumer(Addresses.PURGE,
        m -> tracker.track(m.body(), edges.live()));
    MessageConsumer<PurgeAck> acks = vertx.eventBus().consumer(Addresses.PURGE_ACK, m -> tracker.ack(m.body()));
    ctx.api().operation("purge").addHandler(this::purge);
    ctx.api().operation("getPurge").addHandler(this::getPurge);
    ctx.health().register("role:purge", Future::succeededFuture);
    vertx.setPeriodic(retention.checkEvery().toMillis(), t -> trimLog());
    return Future.all(beats.completion(), commands.completion(), acks.completion());
  }

  private void purge(RoutingContext rc) {
    String tenant = rc.pathParam("t");
    boolean wait = "true".equalsIgnoreCase(rc.queryParams().get("wait"));
    Caller caller = Caller.of(rc);
    Context requestContext = rc.vertx().getOrCreateContext();
    Future.succeededFuture(rc)
        .map(PurgeVerticle::decode)
        .compose(request -> limiter.acquire(tenant).map(request))
        .compose(request -> checkOwnership(tenant, request).map(request))
        .compose(request -> accept(tenant, request, caller))
        .compose(command -> {
          Future<PurgeStatus> settled = tracker.awaitDone(command.id(), requestContext)
              .onSuccess(s -> audit(caller, tenant, "purge.complete",
                  "id=" + s.id() + " applied=" + s.applied() + " acked=" + s.acked().size() + "/" + s.nodes().size()
                      + (s.missing().isEmpty() ? "" : " missing=" + s.missing()), s.status()));
          if (wait) {
            return settled;
          }
          return Future.succeededFuture(tracker.status(tenant, command.id()).orElseThrow());
        })
        .onSuccess(status -> json(rc, 202, status))
        .onFailure(failure -> {
          if (failure instanceof ApiException api && (api.status() == 403 || api.status() == 429)) {
            audit(caller, tenant, "purge", "refused", "denied: " + api.getMessage());
          }
          rc.fail(failure);
        });
  }

  private void trimLog() {
    ctx.store().purgeLog().trim(retention.keepEntries())
        .onSuccess(dropped -> {
          if (dropped > 0) {
            LOG.log(System.Logger.Level.DEBUG, "purge log trimmed: {0} oldest entries dropped", dropped);
          }
        })
        .onFailure(e -> LOG.log(System.Logger.Level.WARNING, "purge log trim failed (retried in "
            + retention.checkEvery().toMillis() + " ms): " + e.getMessage()));
  }

  private void getPurge(RoutingContext rc) {
    String tenant = rc.pathParam("t");
    String id = rc.pathParam("id");
    Optional<PurgeStatus> status = tracker.status(tenant, id);
    if (status.isPresent()) {
      json(rc, 200, status.get());
      return;
    }
    // accepted before this instance started (or evicted from its memory): the settled status
    ctx.store().purgeStatuses().get(tenant, id)
        .onSuccess(stored -> {
          if (stored.isEmpty()) {
            rc.fail(ApiException.notFound("no purge '" + id + "' for this tenant (or it is older than the retention)"));
          } else {
            rc.response().setStatusCode(200).putHeader("Content-Type", "application/json").end(stored.get());
          }
        })
        .onFailure(rc::fail);
  }

  /** Keeps a settled status of a purge this instance accepted, for instances that did not see it. */
  private void storeStatus(String tenant, PurgeStatus status) {
    ctx.store().purgeStatuses().put(tenant, status.id(), StoreJson.encode(status), settings.statusRetention())
        .onFailure(e -> LOG.log(System.Logger.Level.WARNING, "purge status " + status.id() + " (tenant " + tenant
            + ") not stored; other instances answer 404 for it after it leaves this one's memory: " + e.getMessage()));
  }

  private static PurgeRequest decode(RoutingContext rc) {
    JsonObject body = rc.body().asJsonObject();
    if (body == null) {
      throw ApiException.badRequest("a JSON object body is required");
    }
    PurgeRequest.Body raw;
    try {
      raw = RecordCodec.MAPPER.convertValue(body.getMap(), PurgeRequest.Body.class);
    } catch (IllegalArgumentException e) {
      throw ApiException.validation(List.of("body: " + e.getMessage()));
    }
    return PurgeRequest.from(raw);
  }

  /** Every host the purge names must be one of the tenant's sites' hostnames. */
  private Future<Void> checkOwnership(String tenant, PurgeRequest request) {
    List<String> hosts = new ArrayList<>(request.hosts());
    List<Future<Optional<HostBinding>>> lookups = new ArrayList<>(hosts.size());
    for (String host : hosts) {
      lookups.add(ctx.store().sites().resolveHost(host));
    }
    return Future.all(lookups).compose(all -> {
      List<String> foreign = new ArrayList<>();
      for (int i = 0; i < hosts.size(); i++) {
        Optional<HostBinding> binding = lookups.get(i).result();
        if (binding.isEmpty() || !binding.get().tenant().equals(tenant)) {
          foreign.add(hosts.get(i));
        }
      }
      if (foreign.isEmpty()) {
        return Future.succeededFuture();
      }
      return Future.failedFuture(ApiException.forbidden("not a hostname of this tenant: "
          + String.join(", ", foreign.size() > 10 ? foreign.subList(0, 10) : foreign)
          + (foreign.size() > 10 ? " (and " + (foreign.size() - 10) + " more)" : "")));
    });
  }

  /** Durable append, then tracking and fan-out. The log assigns the sequence. */
  private Future<PurgeCommand> accept(String tenant, PurgeRequest request, Caller caller) {
    String id = Ids.random(ID_LENGTH);
    PurgeRecord record = new PurgeRecord(0, id, tenant, request.scope(), request.targets(), request.soft(),
        caller.actor(), Instant.now(ctx.clock()));
    return ctx.store().purgeLog().append(record).map(stored -> {
      PurgeCommand command = new PurgeCommand(stored.id(), stored.seq(), tenant, stored.scope(), stored.targets(),
          stored.soft(), Instant.now(ctx.clock()));
      Set<String> expected = edges.live();
      tracker.trackOwned(command, expected);
      vertx.eventBus().publish(Addresses.PURGE, command);
      audit(caller, tenant, "purge.accept", describe(command), "accepted");
      return command;
    });
  }

  private static String describe(PurgeCommand c) {
    StringBuilder out = new StringBuilder("id=").append(c.id()).append(" seq=").append(c.seq())
        .append(' ').append(c.scope().name().toLowerCase(java.util.Locale.ROOT));
    if (c.soft()) {
      out.append(" soft");
    }
    if (!c.targets().isEmpty()) {
      out.append(" (").append(c.targets().size()).append(") ");
      out.append(String.join(" ", c.targets().size() > 5 ? c.targets().subList(0, 5) : c.targets()));
      if (c.targets().size() > 5) {
        out.append(" ...");
      }
    }
    return out.toString();
  }

  private void audit(Caller caller, String tenant, String action, String target, String outcome) {
    vertx.eventBus().send(Addresses.AUDIT,
        new AuditEvent(Instant.now(ctx.clock()), caller.actor(), tenant, action, target, caller.sourceIp(), outcome));
  }

  private static void json(RoutingContext rc, int status, Object body) {
    rc.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(StoreJson.encode(body));
  }
}
