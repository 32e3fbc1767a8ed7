package dev.kasoku.config.impl;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.JsonNode;
import dev.kasoku.common.audit.AuditTrail;
import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages;
import dev.kasoku.common.http.ApiException;
import dev.kasoku.common.json.Timestamps;
import dev.kasoku.common.model.Ids;
import dev.kasoku.common.model.Notification;
import dev.kasoku.common.model.SiteVersion;
import dev.kasoku.common.security.Caller;
import dev.kasoku.common.store.HostnameConflictException;
import dev.kasoku.common.store.Store;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import java.time.Clock;
import java.time.Instant;
import java.util.List;

/**
 * The site operations behind the API: each validates, writes the store, then announces the change.
 *
 * <p>Order matters: the store write is the commit point (atomic with the hostname claims, so two
 * concurrent claims cannot both win); only after it succeeds is {@code kasoku.config.changed}
 * published, the tenant's notification feed appended and the audit event sent. A lost bus message
 * only delays an edge (edges also poll the store's change epoch); a failed notification append is
 * logged and does not undo a committed change.
 */
public final class SiteService {
  private static final System.Logger LOG = System.getLogger(SiteService.class.getName());
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private final Store store;
  private final EventBus bus;
  private final SiteDocuments documents;
  private final AuditTrail audit;
  private final Clock clock;

  public SiteService(Store store, EventBus bus, SiteDocuments documents, AuditTrail audit, Clock clock) {
    this.store = store;
    this.bus = bus;
    this.documents = documents;
    this.audit = audit;
    this.clock = clock;
  }

  public Future<ObjectNode> list(String tenant) {
    return store.sites().listCurrent(tenant).map(versions -> {
      ObjectNode out = JSON.objectNode();
      ArrayNode items = out.putArray("items");
      versions.forEach(v -> items.add(describe(v, true)));
      return out;
    });
  }

  public Future<ObjectNode> get(String tenant, String site) {
    return store.sites().current(tenant, site).map(v -> describe(v.orElseThrow(() -> noSite(site)), true));
  }

  public Future<ObjectNode> put(String tenant, String site, JsonNode body, Caller caller) {
    SiteDocuments.Accepted accepted;
    try {
      accepted = documents.accept(tenant, site, body);
    } catch (ApiException e) {
      audit(caller, tenant, "site.put", site, "rejected: " + e.type().name().toLowerCase(java.util.Locale.ROOT));
      return Future.failedFuture(e);
    }
    return commit(tenant, site, accepted, caller, "site.put", null);
  }

  public Future<ObjectNode> restore(String tenant, String site, long version, Caller caller) {
    return store.sites().version(tenant, site, version)
        .compose(v -> {
          if (v.isEmpty()) {
            return Future.failedFuture(ApiException.notFound("site " + site + " has no version " + version));
          }
          SiteDocuments.Accepted accepted;
          try {
            accepted = documents.recheck(tenant, site, v.get());
          } catch (ApiException e) {
            audit(caller, tenant, "site.restore", site + "@" + version, "rejected: validation");
            return Future.failedFuture(e);
          }
          return commit(tenant, site, accepted, caller, "site.restore", version);
        });
  }

  public Future<Void> delete(String tenant, String site, Caller caller) {
    return store.sites().delete(tenant, site).compose(found -> {
      if (!found) {
        return Future.failedFuture(noSite(site));
      }
      // version 0 tells edges the site is gone: drop its routing entry, certificate and cached objects
      Addresses.CONFIG_CHANGED.publish(bus, new Messages.ConfigChanged(tenant, site, 0));
      audit(caller, tenant, "site.delete", site, "success");
      notify(tenant, "site " + site + " deleted by " + caller.actor()
          + "; its hostnames are released and its cached objects purged");
      return Future.<Void>succeededFuture();
    });
  }

  public Future<ObjectNode> versions(String tenant, String site) {
    return store.sites().versions(tenant, site).map(list -> {
      if (list.isEmpty()) {
        throw noSite(site);
      }
      long current = list.get(list.size() - 1).version();
      ObjectNode out = JSON.objectNode();
      out.put("site", site).put("current", current);
      ArrayNode items = out.putArray("items");
      list.forEach(v -> items.add(describe(v, true)));
      return out;
    });
  }

  public Future<ObjectNode> notifications(String tenant, int limit) {
    return store.notifications().list(tenant, limit).map(list -> {
      ObjectNode out = JSON.objectNode();
      ArrayNode items = out.putArray("items");
      for (Notification n : list) {
        items.addObject().put("id", n.id()).put("ts", Timestamps.format(n.ts())).put("kind", n.kind())
            .put("message", n.message());
      }
      return out;
    });
  }

  /**
   * Removes every site of a deleted tenant (releasing its hostnames) and tells edges to drop them.
   * Idempotent: each config instance receives the deletion; the store may already have erased the
   * tenant, in which case there is nothing left to list and edges learn it from the epoch.
   */
  public Future<Integer> eraseTenant(String tenant) {
    return store.sites().listCurrent(tenant).compose(sites -> {
      List<Future<Boolean>> deletions = sites.stream().map(v -> store.sites().delete(tenant, v.site())
          .onSuccess(found -> Addresses.CONFIG_CHANGED.publish(bus, new Messages.ConfigChanged(tenant, v.site(), 0))))
          .toList();
      return Future.all(deletions).map(ignored -> sites.size());
    });
  }

  private Future<ObjectNode> commit(String tenant, String site, SiteDocuments.Accepted accepted, Caller caller,
                                    String action, Long restoredFrom) {
    Instant now = clock.instant();
    return store.sites().put(tenant, site, accepted.hostnames(), accepted.storedJson(), caller.actor(), now)
        .recover(e -> {
          if (e instanceof HostnameConflictException c) {
            audit(caller, tenant, action, site, "rejected: conflict");
            return Future.failedFuture(ApiException.conflict("hostname " + c.hostname() + " is already in use"));
          }
          return Future.failedFuture(e);
        })
        .map(stored -> {
          Addresses.CONFIG_CHANGED.publish(bus, new Messages.ConfigChanged(tenant, site, stored.version()));
          String target = site + "@" + stored.version();
          audit(caller, tenant, action, target, "success");
          notify(tenant, restoredFrom == null
              ? "site " + site + " updated to version " + stored.version() + " by " + caller.actor()
              : "site " + site + " restored from version " + restoredFrom + " as version " + stored.version()
                  + " by " + caller.actor());
          return describe(stored, true);
        });
  }

  /** The API view of a version: metadata plus the config without the private key. */
  ObjectNode describe(SiteVersion v, boolean withConfig) {
    ObjectNode out = JSON.objectNode();
    out.put("site", v.site()).put("version", v.version()).put("author", v.author())
        .put("createdAt", Timestamps.format(v.createdAt()));
    ArrayNode hosts = out.putArray("hostnames");
    v.hostnames().forEach(hosts::add);
    if (withConfig) {
      out.set("config", documents.view(v));
    }
    return out;
  }

  private void notify(String tenant, String message) {
    Notification n = new Notification(Ids.random(20), tenant, clock.instant(), "config.changed", message);
    store.notifications().append(n).onFailure(e ->
        LOG.log(System.Logger.Level.WARNING, "notification for tenant " + tenant + " not stored: " + e));
  }

  private void audit(Caller caller, String tenant, String action, String target, String outcome) {
    audit.record(caller, tenant, action, target, outcome);
  }

  private static ApiException noSite(String site) {
    return ApiException.notFound("no site " + site);
  }
}
