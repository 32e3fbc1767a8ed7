package dev.kasoku.purge.impl;

import dev.kasoku.common.audit.AuditTrail;
import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages.NodeHeartbeat;
import dev.kasoku.common.bus.Messages.PurgeAck;
import dev.kasoku.common.bus.Messages.PurgeCommand;
import dev.kasoku.common.http.ApiException;
import dev.kasoku.common.json.Json;
import dev.kasoku.common.model.HostBinding;
import dev.kasoku.common.model.Ids;
import dev.kasoku.common.model.PurgeRecord;
import dev.kasoku.common.security.Caller;
import dev.kasoku.common.store.Store;
import dev.kasoku.purge.PurgeSettings;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The purge use cases behind the API, apart from HTTP: accept a purge, answer its status, keep
 * the purge log bounded.
 *
 * <p>Accepting goes: tenant rate limit in the store (429) → every named host must belong to the
 * tenant (403) → append to the durable purge log → track → publish a {@link PurgeCommand} on
 * {@code kasoku.purge}. The append comes before the answer, so a purge the caller was told about
 * survives any crash: edges replay the log from the last sequence they applied (see the edge's
 * purge agent), and a lost bus message only delays a purge.
 *
 * <p>Completion: each edge publishes a {@link PurgeAck}; every purge instance keeps the status of
 * every recent purge in memory ({@link PurgeTracker}) and the edges it expects from their
 * heartbeats ({@link LiveEdges}), so any instance can answer the status, and a caller that waits
 * is answered as soon as the last live edge acked, or with {@code partial} after the wait bound.
 * The instance that accepted a purge also stores its settled status, so an instance started later
 * can still answer it for the status retention.
 *
 * <p>Every accepted, refused (403, 429) and completed purge goes to the audit trail.
 */
public final class PurgeService {
  /** Length of generated purge ids. */
  static final int ID_LENGTH = 20;
  private static final System.Logger LOG = System.getLogger(PurgeService.class.getName());

  private final Store store;
  private final EventBus bus;
  private final AuditTrail audit;
  private final Clock clock;
  private final PurgeSettings settings;
  private final PurgeTracker tracker;
  private final LiveEdges edges;
  private final PurgeRateLimiter limiter;

  public PurgeService(Store store, EventBus bus, AuditTrail audit, Clock clock, PurgeSettings settings) {
    this.store = store;
    this.bus = bus;
    this.audit = audit;
    this.clock = clock;
    this.settings = settings;
    this.tracker = new PurgeTracker(clock, settings, this::storeStatus);
    this.edges = new LiveEdges(clock, settings.edgeExpiry());
    this.limiter = new PurgeRateLimiter(store.access(), settings.rateCapacity(), settings.rateWindow());
  }

  /** An edge's heartbeat: it is live, and expected to ack purges accepted from now on. */
  public void heard(NodeHeartbeat beat) {
    edges.heard(beat);
    if (beat.purgeWatermark() != null && beat.roles().contains(LiveEdges.EDGE_ROLE)) {
      tracker.appliedUpTo(beat.node(), beat.purgeWatermark());
    }
  }

  /** A purge another instance accepted: track it too, so this instance can answer its status. */
  public void published(PurgeCommand command) {
    tracker.track(command, edges.live());
  }

  /** An edge applied a purge. */
  public void acked(PurgeAck ack) {
    tracker.ack(ack);
  }

  /**
   * Accepts a purge and completes with its status: at once ({@code pending} or already
   * {@code done}), or, when {@code wait}, once every expected edge acked or the wait bound passed.
   *
   * @param requestContext the context whose thread completes the answer
   */
  public Future<PurgeStatus> purge(Caller caller, String tenant, PurgeRequest request, boolean wait,
                                   Context requestContext) {
    return limiter.acquire(tenant)
        .compose(v -> checkOwnership(tenant, request))
        .compose(v -> accept(tenant, request, caller))
        .compose(command -> {
          Future<PurgeStatus> settled = tracker.awaitDone(command.id(), requestContext)
              .onSuccess(s -> audit.record(caller, tenant, "purge.complete",
                  "id=" + s.id() + " applied=" + s.applied() + " acked=" + s.acked().size() + "/" + s.nodes().size()
                      + (s.missing().isEmpty() ? "" : " missing=" + s.missing()), s.status()));
          if (wait) {
            return settled;
          }
          return Future.succeededFuture(tracker.status(tenant, command.id()).orElseThrow());
        })
        .onFailure(failure -> {
          if (failure instanceof ApiException api && (api.status() == 403 || api.status() == 429)) {
            audit.record(caller, tenant, "purge", "refused", "denied: " + api.getMessage());
          }
        });
  }

  /**
   * A purge's status: from this instance's memory, else the settled status the accepting instance
   * stored (accepted before this instance started, or evicted from its memory); 404 otherwise.
   */
  public Future<PurgeStatus> status(String tenant, String id) {
    Optional<PurgeStatus> known = tracker.status(tenant, id);
    if (known.isPresent()) {
      return Future.succeededFuture(known.get());
    }
    return store.purgeStatuses().get(tenant, id).map(stored -> stored
        .map(json -> Json.decode(json, PurgeStatus.class))
        .orElseThrow(() -> ApiException.notFound(
            "no purge '" + id + "' for this tenant (or it is older than the retention)")));
  }

  /** Trims the purge log to its newest {@code keepEntries}; several instances trimming is harmless. */
  public void trimLog(long keepEntries) {
    store.purgeLog().trim(keepEntries)
        .onSuccess(dropped -> {
          if (dropped > 0) {
            LOG.log(System.Logger.Level.DEBUG, "purge log trimmed: {0} oldest entries dropped", dropped);
          }
        })
        .onFailure(e -> LOG.log(System.Logger.Level.WARNING, "purge log trim failed (retried at the next check): "
            + e.getMessage()));
  }

  /** Keeps a settled status of a purge this instance accepted, for instances that did not see it. */
  private void storeStatus(String tenant, PurgeStatus status) {
    store.purgeStatuses().put(tenant, status.id(), Json.encode(status), settings.statusRetention())
        .onFailure(e -> LOG.log(System.Logger.Level.WARNING, "purge status " + status.id() + " (tenant " + tenant
            + ") not stored; other instances answer 404 for it after it leaves this one's memory: " + e.getMessage()));
  }

  /** Every host the purge names must be one of the tenant's sites' hostnames. */
  private Future<Void> checkOwnership(String tenant, PurgeRequest request) {
    List<String> hosts = new ArrayList<>(request.hosts());
    List<Future<Optional<HostBinding>>> lookups = new ArrayList<>(hosts.size());
    for (String host : hosts) {
      lookups.add(store.sites().resolveHost(host));
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
        caller.actor(), Instant.now(clock));
    return store.purgeLog().append(record).map(stored -> {
      PurgeCommand command = new PurgeCommand(stored.id(), stored.seq(), tenant, stored.scope(), stored.targets(),
          stored.soft(), Instant.now(clock));
      Set<String> expected = edges.live();
      tracker.trackOwned(command, expected);
      Addresses.PURGE.publish(bus, command);
      audit.record(caller, tenant, "purge.accept", describe(command), "accepted");
      return command;
    });
  }

  private static String describe(PurgeCommand c) {
    StringBuilder out = new StringBuilder("id=").append(c.id()).append(" seq=").append(c.seq())
        .append(' ').append(c.scope().name().toLowerCase(Locale.ROOT));
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
}
