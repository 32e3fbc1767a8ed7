package dev.kasoku.cacheedge.sites;

import dev.kasoku.cacheedge.origin.Origin;
import dev.kasoku.cacheedge.policy.CompiledSite;
import dev.kasoku.common.model.SiteVersion;
import dev.kasoku.common.site.SiteConfig;
import dev.kasoku.common.store.SiteStore;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The edge's routing table, hostname → site, shared by every edge verticle of the process.
 *
 * <p>Readers on every event loop see one immutable map through a volatile reference; a reload
 * builds a complete new map and swaps the reference, so a request sees either the old or the new
 * table, never a half-built one, and no request fails during a config change. Reloads come from
 * {@code kasoku.config.changed} and from a periodic look at the store's change epoch (a lost bus
 * message delays a change by at most one period, never drops it); overlapping triggers are
 * coalesced into one reload plus, if something arrived meanwhile, one more, which every call made
 * during the first waits on (so a caller that just wrote a site sees it once its reload completes).
 *
 * <p>A reload reads every current site ({@link SiteStore#listAllCurrent}); sites whose version did not
 * change keep their compiled form. A version that does not parse or compile is skipped with a warning
 * and the site keeps serving its previous version (the config service validates before storing, so
 * this only guards against a bug or a newer schema).
 *
 * <p>Beside the tenants' sites, the table can route one internal host name to the edge's own
 * internal site ({@link #routeInternal}) while its start-up warm-up runs: a host name drawn at random
 * per start, which a reload never touches and {@link #dropInternal} removes.
 */
public final class SiteTable {
  private static final System.Logger LOG = System.getLogger(SiteTable.class.getName());

  private final SiteStore store;
  private volatile Map<String, EdgeSite> byHost = Map.of();
  /** The internal host name and site while the warm-up runs; null otherwise. */
  private volatile Map.Entry<String, EdgeSite> internal;
  private long epoch = Long.MIN_VALUE;
  private boolean loading;
  /** The one reload to run after the current one, which every call during the current one waits on. */
  private Promise<Void> followUp;

  public SiteTable(SiteStore store) {
    this.store = store;
  }

  /** The site serving a host name (lower case, no port), or null. */
  public EdgeSite lookup(String hostName) {
    EdgeSite s = byHost.get(hostName);
    if (s == null) {
      Map.Entry<String, EdgeSite> in = internal;
      if (in != null && in.getKey().equals(hostName)) {
        return in.getValue();
      }
    }
    return s;
  }

  /** Routes {@code hostName} to the edge's internal site until {@link #dropInternal}. */
  public void routeInternal(String hostName, EdgeSite site) {
    if (!site.internal()) {
      throw new IllegalArgumentException("not the internal site: " + site.tenant() + "/" + site.site());
    }
    internal = Map.entry(hostName, site);
  }

  /** Stops routing the internal host name. */
  public void dropInternal() {
    internal = null;
  }

  /** The hostnames currently routed to the site (before a reload drops it: purging a deleted site). */
  public List<String> hostnamesOf(String tenant, String site) {
    List<String> out = new ArrayList<>();
    byHost.forEach((host, s) -> {
      if (s.tenant().equals(tenant) && s.site().equals(site)) {
        out.add(host);
      }
    });
    return out;
  }

  /** Number of hostnames routed. */
  public int size() {
    return byHost.size();
  }

  /** Reloads when the store's change epoch moved since the last load. */
  public synchronized Future<Void> refreshIfChanged() {
    return store.changeEpoch().compose(e -> {
      synchronized (this) {
        if (e == epoch) {
          return Future.succeededFuture();
        }
      }
      return reload();
    });
  }

  /** Rebuilds the table from the store (coalescing concurrent calls). */
  public Future<Void> reload() {
    synchronized (this) {
      if (loading) {
        // the running reload may have read the store before this caller's change: answer only once
        // a reload that started after this call has finished
        if (followUp == null) {
          followUp = Promise.promise();
        }
        return followUp.future();
      }
      loading = true;
    }
    return store.changeEpoch().compose(e -> store.listAllCurrent().map(all -> {
      Map<String, EdgeSite> previousBySite = new HashMap<>();
      for (EdgeSite s : byHost.values()) {
        previousBySite.put(s.tenant() + "/" + s.site(), s);
      }
      Map<String, EdgeSite> next = new HashMap<>();
      for (SiteVersion v : all) {
        EdgeSite prev = previousBySite.get(v.tenant() + "/" + v.site());
        EdgeSite site = prev != null && prev.version() == v.version() ? prev : compile(v, prev);
        if (site == null) {
          continue;
        }
        for (String h : v.hostnames()) {
          next.put(h, site);
        }
      }
      byHost = Map.copyOf(next);
      synchronized (this) {
        epoch = e;
      }
      return (Void) null;
    })).eventually(() -> {
      Promise<Void> next;
      synchronized (this) {
        loading = false;
        next = followUp;
        followUp = null;
      }
      if (next != null) {
        reload().onComplete(next);
      }
      return Future.succeededFuture();
    });
  }

  private static EdgeSite compile(SiteVersion v, EdgeSite previous) {
    try {
      SiteConfig cfg = SiteConfig.parse(v.configJson());
      CompiledSite compiled = CompiledSite.compile(v.tenant(), v.site(), cfg);
      List<Origin> origins = new ArrayList<>();
      for (SiteConfig.Origin o : cfg.origins()) {
        origins.add(Origin.parse(v.tenant(), o.url(), o.weightOrDefault()));
      }
      return new EdgeSite(compiled, origins, v.version());
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "site {0}/{1} version {2} cannot be served ({3}); keeping the previous version",
          v.tenant(), v.site(), v.version(), e.getMessage());
      return previous;
    }
  }
}
