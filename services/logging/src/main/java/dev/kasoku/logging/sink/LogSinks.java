package dev.kasoku.logging.sink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kasoku.common.audit.AuditTrail;
import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages.TenantDeleted;
import dev.kasoku.common.http.Replies;
import dev.kasoku.common.prometheus.Prometheus;
import dev.kasoku.common.service.ServiceContext;
import dev.kasoku.common.tls.SecretSealer;
import io.vertx.core.eventbus.MessageConsumer;
import dev.kasoku.common.http.ApiException;
import dev.kasoku.common.json.Json;
import dev.kasoku.common.model.Ids;
import dev.kasoku.common.model.Notification;
import dev.kasoku.common.net.OriginAddressPolicy;
import dev.kasoku.common.security.Caller;
import dev.kasoku.common.store.LogSinkStore;
import dev.kasoku.common.store.Store;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The tenants' log sinks on this logging instance: the {@code GET/PUT /v1/tenants/{t}/log-sinks}
 * operations and one {@link Shipper} per sink.
 *
 * <h2>Several logging instances</h2>
 * Every logging instance stores the batches it took in on its own volume, and ships exactly those:
 * it runs a shipper for every sink of every tenant, reading its own segment files with its own
 * cursors (stored per sink and {@link InstanceId instance}). No record is shipped by two instances
 * and none is left out, and a sink's order is the storage order of each instance (records of
 * different instances interleave in no defined order). The list itself is in the store: a PUT on any
 * instance is seen by the others through the store's change epoch, polled every
 * {@link SinkSettings#reloadEvery}. A sink's health in GET adds up every instance's cursor.
 *
 * <h2>Changing and removing sinks</h2>
 * A sink keeps its id, and so its cursors, while a list keeps a sink of its name and type: changing
 * its URL, filter or fields resumes where it was. A sink taken out of the list loses its cursors in
 * the same write; one added ships the records of requests from its creation on (its
 * {@code createdAt}), on every instance however late it learns of it. A deleted tenant's shippers stop and its sinks and cursors are erased.
 */
public final class LogSinks {
  private static final System.Logger LOG = System.getLogger(LogSinks.class.getName());
  private final Vertx vertx;
  private final Store store;
  private final Path logDir;
  private final SinkDocuments documents;
  private final SinkAddresses addresses;
  private final AuditTrail audit;
  private final Clock clock;
  private final SinkSettings settings;
  private final SinkMeters meters;
  private final WorkerExecutor worker;
  /** tenant → sink id → its shipper on this instance. */
  private final Map<String, Map<String, Shipper>> running = new HashMap<>();
  private final Set<String> erased = new HashSet<>();
  private String instance;
  private long epoch = -1;
  private long reloadTimer = -1;
  private boolean reloading;
  private boolean reloadFailing;
  private MessageConsumer<TenantDeleted> deletions;

  public LogSinks(Vertx vertx, Store store, Path logDir, SinkDocuments documents, OriginAddressPolicy policy,
                  AuditTrail audit, Clock clock, SinkSettings settings, MeterRegistry registry) {
    this.vertx = vertx;
    this.store = store;
    this.logDir = logDir;
    this.documents = documents;
    this.addresses = new SinkAddresses(vertx, policy);
    this.audit = audit;
    this.clock = clock;
    this.settings = settings;
    this.meters = new SinkMeters(registry, this::maxLagSeconds);
    this.worker = vertx.createSharedWorkerExecutor("kasoku-log-sinks", 2);
  }

  /**
   * The log sinks of a logging role: header values sealed under the platform secret (read from a
   * file in dev mode, so this runs off the event loop), addresses judged by the platform's origin
   * policy, meters in the process's registry. Serves the two operations on the context's API.
   */
  public static Future<LogSinks> create(Vertx vertx, ServiceContext ctx, SinkSettings settings) {
    return vertx.executeBlocking(() -> SecretSealer.forPurpose(ctx.config(), SinkDocuments.SEAL_PURPOSE)).map(sealer -> {
      OriginAddressPolicy policy = new OriginAddressPolicy(ctx.config().allowedOriginNetworks());
      LogSinks sinks = new LogSinks(vertx, ctx.store(), ctx.config().logDir(), new SinkDocuments(vertx, policy, sealer, ctx.clock()),
          policy, new AuditTrail(vertx.eventBus(), ctx.clock()), ctx.clock(), settings, Prometheus.registryOf(vertx));
      ctx.api().operation("getLogSinks").addHandler(rc -> sinks.get(rc.pathParam("t"))
          .compose(body -> Replies.json(rc, 200, body)).onFailure(rc::fail));
      ctx.api().operation("putLogSinks").addHandler(rc -> {
        Future<ObjectNode> put;
        try {
          put = sinks.put(rc.pathParam("t"), Replies.bodyTree(rc), Caller.of(rc));
        } catch (RuntimeException e) {
          put = Future.failedFuture(e);
        }
        put.compose(body -> Replies.json(rc, 200, body)).onFailure(rc::fail);
      });
      return sinks;
    });
  }

  /**
   * Starts shipping every stored sink, and erasing the sinks of deleted tenants. Call once the stored log is recovered (positions refer to
   * repaired files).
   */
  public Future<Void> start() {
    return worker.executeBlocking(() -> InstanceId.of(logDir), false).compose(id -> {
      instance = id;
      LOG.log(System.Logger.Level.INFO, "log sinks: this logging instance ships as " + id);
      deletions = Addresses.TENANT_DELETED.consumer(vertx.eventBus(), m -> eraseTenant(m.body().tenant())
          .onFailure(e -> LOG.log(System.Logger.Level.ERROR, "tenant " + m.body().tenant()
              + ": log sinks not erased: " + e)));
      // a store that is down now must not keep the role from starting: the periodic check retries
      return deletions.completion().compose(v -> reload().recover(e -> {
        reloadFailing = true;
        LOG.log(System.Logger.Level.WARNING, "log sinks: cannot load the sink lists yet (retried every "
            + settings.reloadEvery() + "): " + e.getMessage());
        return Future.succeededFuture();
      }));
    }).onSuccess(v -> reloadTimer = vertx.setPeriodic(settings.reloadEvery().toMillis(), t -> reloadIfChanged()));
  }

  /** This instance's id in the sinks' cursors. */
  public String instance() {
    return instance;
  }

  private double maxLagSeconds() {
    double max = 0;
    for (Map<String, Shipper> sinks : running.values()) {
      for (Shipper s : sinks.values()) {
        max = Math.max(max, s.lagSeconds());
      }
    }
    return max;
  }

  private void reloadIfChanged() {
    if (reloading) {
      return;
    }
    store.logSinks().changeEpoch().compose(e -> e == epoch ? Future.<Void>succeededFuture() : reload())
        .onSuccess(v -> {
          if (reloadFailing) {
            reloadFailing = false;
            LOG.log(System.Logger.Level.INFO, "log sinks: sink lists loaded again");
          }
        })
        .onFailure(e -> {
          if (!reloadFailing) {
            reloadFailing = true; // logged once per outage, not every round
            LOG.log(System.Logger.Level.WARNING, "log sinks: cannot read the sink lists (retried every "
                + settings.reloadEvery() + "; shipping goes on with the lists it has): " + e.getMessage());
          }
        });
  }

  /** Brings the shippers in line with every stored list. */
  private Future<Void> reload() {
    reloading = true;
    LogSinkStore sinks = store.logSinks();
    return sinks.changeEpoch().compose(e -> sinks.tenants().compose(tenants -> {
      List<Future<Void>> each = new ArrayList<>();
      for (String t : tenants) {
        each.add(sinks.get(t).compose(json -> apply(t, decode(json))));
      }
      for (String t : new ArrayList<>(running.keySet())) {
        if (!tenants.contains(t)) {
          stopTenant(t);
        }
      }
      return Future.all(each).map(v -> {
        epoch = e;
        return (Void) null;
      });
    })).eventually(() -> {
      reloading = false;
      return Future.succeededFuture();
    });
  }

  static LogSink.Stored decode(Optional<String> json) {
    return json.map(j -> Json.decode(j, LogSink.Stored.class)).orElse(new LogSink.Stored(List.of()));
  }

  /** Starts, restarts (changed config) and stops the tenant's shippers to match its list. */
  private Future<Void> apply(String tenant, LogSink.Stored list) {
    if (erased.contains(tenant)) {
      return Future.succeededFuture();
    }
    Map<String, Shipper> current = running.computeIfAbsent(tenant, t -> new LinkedHashMap<>());
    Set<String> ids = new HashSet<>();
    List<LogSink> toStart = new ArrayList<>();
    for (LogSink s : list.sinks()) {
      ids.add(s.id());
      Shipper existing = current.get(s.id());
      if (existing != null && existing.sink().equals(s)) {
        continue;
      }
      if (existing != null) {
        existing.stop();
        current.remove(s.id());
      }
      toStart.add(s);
    }
    for (String id : new ArrayList<>(current.keySet())) {
      if (!ids.contains(id)) {
        current.remove(id).stop();
      }
    }
    if (toStart.isEmpty()) {
      if (current.isEmpty()) {
        running.remove(tenant);
      }
      return Future.succeededFuture();
    }
    return store.logSinks().cursors(tenant).compose(cursors -> {
      List<Future<Void>> started = new ArrayList<>();
      for (LogSink s : toStart) {
        SinkCursor stored = cursors.stream()
            .filter(c -> c.sinkId().equals(s.id()) && c.instance().equals(instance))
            .findFirst().map(c -> Json.decode(c.json(), SinkCursor.class)).orElse(null);
        Shipper shipper;
        try {
          shipper = new Shipper(vertx, worker, store, tenant, s, instance, transport(tenant, s),
              new SinkReader(logDir, tenant, s), clock, settings, meters);
        } catch (RuntimeException e) {
          LOG.log(System.Logger.Level.ERROR, "log sink " + tenant + "/" + s.name() + " cannot start: " + e);
          continue;
        }
        Shipper previous = current.put(s.id(), shipper);
        if (previous != null) {
          previous.stop(); // a reload raced this one
        }
        started.add(shipper.start(stored).onFailure(e -> {
          LOG.log(System.Logger.Level.WARNING, "log sink " + tenant + "/" + s.name() + " did not start (retried at"
              + " the next reload): " + e);
          if (current.get(s.id()) == shipper) {
            current.remove(s.id());
          }
          epoch = -1; // the next periodic check reloads, and starts it again
        }));
      }
      return Future.all(started).mapEmpty();
    });
  }

  private Transport transport(String tenant, LogSink s) {
    if (s.type() == LogSink.Type.http) {
      Map<String, String> headers = new LinkedHashMap<>();
      if (s.headers() != null) {
        s.headers().keySet().forEach(h -> headers.put(h, documents.openHeader(tenant, s, h)));
      }
      return new HttpTransport(vertx, addresses, s, headers, settings);
    }
    return new SyslogTransport(vertx, addresses, s, settings);
  }

  private void stopTenant(String tenant) {
    Map<String, Shipper> sinks = running.remove(tenant);
    if (sinks != null) {
      sinks.values().forEach(Shipper::stop);
    }
  }

  // --- API ------------------------------------------------------------------------------------

  /** {@code GET}: the stored list, header values masked, each sink with its health over every instance. */
  public Future<ObjectNode> get(String tenant) {
    return store.logSinks().get(tenant).map(LogSinks::decode).compose(list -> store.logSinks().cursors(tenant)
        .map(cursors -> documents.view(list, health(cursors))));
  }

  private static Map<String, ObjectNode> health(List<LogSinkStore.Cursor> cursors) {
    Map<String, List<SinkCursor>> bySink = new HashMap<>();
    for (LogSinkStore.Cursor c : cursors) {
      bySink.computeIfAbsent(c.sinkId(), k -> new ArrayList<>()).add(Json.decode(c.json(), SinkCursor.class));
    }
    Map<String, ObjectNode> out = new HashMap<>();
    bySink.forEach((id, list) -> out.put(id, SinkHealth.of(list)));
    return out;
  }

  /**
   * {@code PUT}: checks the whole list (one bad sink refuses all of it), stores it in one write,
   * audits the change, announces it in the tenant's feed and starts shipping at once here (the other
   * instances follow within {@link SinkSettings#reloadEvery}).
   */
  public Future<ObjectNode> put(String tenant, JsonNode body, Caller caller) {
    return store.logSinks().get(tenant).map(LogSinks::decode)
        .compose(current -> documents.accept(tenant, body, current))
        .onFailure(e -> {
          if (e instanceof ApiException api) {
            audit.record(caller, tenant, "logSinks.put", null, "rejected: " + api.type().name().toLowerCase(Locale.ROOT));
          } else {
            audit.record(caller, tenant, "logSinks.put", null, "failure");
          }
        })
        .compose(accepted -> store.logSinks().put(tenant, accepted.json(), accepted.ids()).map(v -> accepted))
        .compose(accepted -> {
          List<String> names = accepted.stored().sinks().stream().map(LogSink::name).toList();
          String target = names.isEmpty() ? "(none)" : String.join(",", names);
          audit.record(caller, tenant, "logSinks.put", target, AuditTrail.SUCCESS);
          store.notifications().append(new Notification(Ids.random(20), tenant, clock.instant(), "config.changed",
                  "log sinks replaced by " + caller.actor() + ": " + target))
              .onFailure(e -> LOG.log(System.Logger.Level.WARNING, "notification for tenant " + tenant + " not stored: " + e));
          erased.remove(tenant);
          apply(tenant, accepted.stored()).onFailure(e -> LOG.log(System.Logger.Level.WARNING,
              "log sinks of " + tenant + " stored but not started here yet (next reload): " + e));
          return get(tenant);
        });
  }

  /** A deleted tenant: its shippers stop here, and its sinks and cursors are erased from the store. */
  public Future<Void> eraseTenant(String tenant) {
    erased.add(tenant);
    stopTenant(tenant);
    return store.logSinks().put(tenant, "", List.of());
  }

  public Future<Void> close() {
    if (reloadTimer >= 0) {
      vertx.cancelTimer(reloadTimer);
    }
    if (deletions != null) {
      deletions.unregister();
    }
    for (String t : new ArrayList<>(running.keySet())) {
      stopTenant(t);
    }
    meters.close();
    return worker.close();
  }
}
