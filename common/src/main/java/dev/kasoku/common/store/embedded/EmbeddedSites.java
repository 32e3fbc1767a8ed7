package dev.kasoku.common.store.embedded;

import dev.kasoku.common.model.HostBinding;
import dev.kasoku.common.model.Ids;
import dev.kasoku.common.model.SiteVersion;
import dev.kasoku.common.store.SiteStore;
import dev.kasoku.common.json.Json;
import io.vertx.core.Future;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.h2.mvstore.MVMap;

/**
 * Sites: {@code t:<tenant>:sites} (site → current version), {@code t:<tenant>:versions}
 * ({@code site/%019d version} → JSON, so one site's history is a contiguous, ordered key range), and
 * the platform hostname index {@code g:hosts} (hostname → {@code tenant/site}). A put checks every
 * hostname before it changes anything; the store thread and the per-operation commit make the
 * whole put atomic.
 */
final class EmbeddedSites implements SiteStore {
  static final String CURRENT = "sites";
  static final String VERSIONS = "versions";
  private final EmbeddedStore db;

  EmbeddedSites(EmbeddedStore db) {
    this.db = db;
  }

  static String versionKey(String site, long version) {
    return site + "/" + String.format("%019d", version);
  }

  @Override
  public Future<SiteVersion> put(String tenant, String site, List<String> hostnames, String configJson,
                                 String author, Instant at) {
    List<String> hosts = List.copyOf(new LinkedHashSet<>(hostnames));
    // validates the ids and fields before the store thread sees anything
    new SiteVersion(tenant, site, 1, author, at, hosts, configJson);
    String owner = tenant + "/" + site;
    return db.write(() -> {
      MVMap<String, String> index = db.map(EmbeddedStore.G_HOSTS);
      for (String h : hosts) {
        String holder = index.get(h);
        if (holder != null && !holder.equals(owner)) {
          throw EmbeddedStore.conflict(h);
        }
      }
      MVMap<String, Long> current = db.map(EmbeddedStore.tenantMap(tenant, CURRENT));
      MVMap<String, String> versions = db.map(EmbeddedStore.tenantMap(tenant, VERSIONS));
      Long prev = current.get(site);
      if (prev != null) {
        SiteVersion old = Json.decode(versions.get(versionKey(site, prev)), SiteVersion.class);
        Set<String> keep = Set.copyOf(hosts);
        for (String h : old.hostnames()) {
          if (!keep.contains(h)) {
            index.remove(h, owner);
          }
        }
      }
      for (String h : hosts) {
        index.put(h, owner);
      }
      long version = prev == null ? 1 : prev + 1;
      SiteVersion stored = new SiteVersion(tenant, site, version, author, at, hosts, configJson);
      versions.put(versionKey(site, version), Json.encode(stored));
      current.put(site, version);
      db.incrementMeta(EmbeddedStore.META_EPOCH);
      return stored;
    });
  }

  @Override
  public Future<Optional<SiteVersion>> current(String tenant, String site) {
    Ids.requireValid(tenant);
    return db.read(() -> {
      MVMap<String, Long> current = db.existing(EmbeddedStore.tenantMap(tenant, CURRENT));
      Long v = current == null ? null : current.get(site);
      return v == null ? Optional.empty() : load(tenant, site, v);
    });
  }

  @Override
  public Future<Optional<SiteVersion>> version(String tenant, String site, long version) {
    Ids.requireValid(tenant);
    return db.read(() -> load(tenant, site, version));
  }

  private Optional<SiteVersion> load(String tenant, String site, long version) {
    MVMap<String, String> versions = db.existing(EmbeddedStore.tenantMap(tenant, VERSIONS));
    String json = versions == null ? null : versions.get(versionKey(site, version));
    return Optional.ofNullable(json).map(j -> Json.decode(j, SiteVersion.class));
  }

  @Override
  public Future<List<SiteVersion>> versions(String tenant, String site) {
    Ids.requireValid(tenant);
    return db.read(() -> {
      List<SiteVersion> out = new ArrayList<>();
      for (Map.Entry<String, String> e : EmbeddedStore.<String>withPrefix(
          db.existing(EmbeddedStore.tenantMap(tenant, VERSIONS)), site + "/")) {
        out.add(Json.decode(e.getValue(), SiteVersion.class));
      }
      return out;
    });
  }

  @Override
  public Future<List<SiteVersion>> listCurrent(String tenant) {
    Ids.requireValid(tenant);
    return db.read(() -> currentOf(tenant));
  }

  private List<SiteVersion> currentOf(String tenant) {
    List<SiteVersion> out = new ArrayList<>();
    for (Map.Entry<String, Long> e : EmbeddedStore.<Long>withPrefix(
        db.existing(EmbeddedStore.tenantMap(tenant, CURRENT)), "")) {
      load(tenant, e.getKey(), e.getValue()).ifPresent(out::add);
    }
    return out;
  }

  @Override
  public Future<List<SiteVersion>> listAllCurrent() {
    return db.read(() -> {
      List<SiteVersion> out = new ArrayList<>();
      for (String tenant : db.tenantsWithMaps()) {
        out.addAll(currentOf(tenant));
      }
      return out;
    });
  }

  @Override
  public Future<Optional<HostBinding>> resolveHost(String hostname) {
    return db.read(() -> {
      MVMap<String, String> index = db.existing(EmbeddedStore.G_HOSTS);
      String owner = index == null ? null : index.get(hostname);
      if (owner == null) {
        return Optional.empty();
      }
      int slash = owner.indexOf('/');
      return Optional.of(new HostBinding(hostname, owner.substring(0, slash), owner.substring(slash + 1)));
    });
  }

  @Override
  public Future<Boolean> delete(String tenant, String site) {
    Ids.requireValid(tenant);
    return db.write(() -> {
      MVMap<String, Long> current = db.existing(EmbeddedStore.tenantMap(tenant, CURRENT));
      Long v = current == null ? null : current.remove(site);
      if (v == null) {
        return false;
      }
      MVMap<String, String> versions = db.map(EmbeddedStore.tenantMap(tenant, VERSIONS));
      String owner = tenant + "/" + site;
      MVMap<String, String> index = db.map(EmbeddedStore.G_HOSTS);
      List<String> keys = new ArrayList<>();
      for (Map.Entry<String, String> e : EmbeddedStore.<String>withPrefix(versions, site + "/")) {
        keys.add(e.getKey());
        for (String h : Json.decode(e.getValue(), SiteVersion.class).hostnames()) {
          index.remove(h, owner);
        }
      }
      keys.forEach(versions::remove);
      db.incrementMeta(EmbeddedStore.META_EPOCH);
      return true;
    });
  }

  @Override
  public Future<Long> changeEpoch() {
    return db.read(() -> db.meta(EmbeddedStore.META_EPOCH));
  }
}
