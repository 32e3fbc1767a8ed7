package dev.kasoku.common.store.embedded;

import dev.kasoku.common.store.AccessStore;
import dev.kasoku.common.store.TokenBucket;
import dev.kasoku.common.store.impl.TokenBuckets;
import dev.kasoku.common.json.Json;
import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.h2.mvstore.MVMap;

/**
 * Access state in one map per scope: {@code t:<tenant>:access}, or {@code g:access} for the
 * platform. Keys: {@code allowlist} → JSON array; {@code c:<name>} → {@code "<count>:<expiresAtMs>"};
 * {@code m:<name>} → expiry millis as a string; {@code b:<name>} → token bucket
 * {@code "<tokens>:<lastMs>:<fullAtMs>"} (swept once full again). Expiry is judged against the store's clock on every
 * read, and expired entries are swept by the store's housekeeping.
 */
final class EmbeddedAccess implements AccessStore {
  static final String ACCESS = "access";
  private static final String ALLOWLIST = "allowlist";
  private final EmbeddedStore db;

  EmbeddedAccess(EmbeddedStore db) {
    this.db = db;
  }

  private static String mapName(String tenant) {
    return tenant == null ? EmbeddedStore.G_ACCESS : EmbeddedStore.tenantMap(tenant, ACCESS);
  }

  private MVMap<String, String> existing(String tenant) {
    return db.existing(mapName(tenant));
  }

  @Override
  public Future<List<String>> getAllowlist(String tenant) {
    String name = mapName(tenant);
    return db.read(() -> {
      MVMap<String, String> m = db.existing(name);
      String json = m == null ? null : m.get(ALLOWLIST);
      return json == null ? List.of() : List.of(Json.decode(json, String[].class));
    });
  }

  @Override
  public Future<Void> putAllowlist(String tenant, List<String> cidrs) {
    String name = mapName(tenant);
    String json = Json.encode(List.copyOf(cidrs));
    return db.write(() -> {
      db.<String, String>map(name).put(ALLOWLIST, json);
      return null;
    });
  }

  @Override
  public Future<Long> incrementCounter(String tenant, String name, Duration ttl) {
    if (ttl.isNegative() || ttl.isZero()) {
      return Future.failedFuture(new IllegalArgumentException("ttl must be positive"));
    }
    String map = mapName(tenant);
    return db.write(() -> {
      long now = db.clock().millis();
      MVMap<String, String> m = db.map(map);
      long[] c = parseCounter(m.get("c:" + name));
      long count;
      long expires;
      if (c == null || c[1] <= now) {
        count = 1;
        expires = now + ttl.toMillis();
      } else {
        count = c[0] + 1;
        expires = c[1];
      }
      m.put("c:" + name, count + ":" + expires);
      return count;
    });
  }

  @Override
  public Future<Long> getCounter(String tenant, String name) {
    String map = mapName(tenant);
    return db.read(() -> {
      MVMap<String, String> m = db.existing(map);
      long[] c = m == null ? null : parseCounter(m.get("c:" + name));
      return c == null || c[1] <= db.clock().millis() ? 0L : c[0];
    });
  }

  @Override
  public Future<Void> deleteCounter(String tenant, String name) {
    return remove(tenant, "c:" + name);
  }

  @Override
  public Future<TokenBucket.Take> takeToken(String tenant, String name, TokenBucket bucket) {
    String map = mapName(tenant);
    // read-modify-write under the store's single writer: no other write interleaves
    return db.write(() -> {
      long now = db.clock().millis();
      MVMap<String, String> m = db.map(map);
      String key = "b:" + name;
      TokenBuckets.Step step = TokenBuckets.take(TokenBuckets.State.decode(m.get(key)), bucket, now);
      if (step.fullAtMillis() > now) {
        m.put(key, step.state().encode() + ":" + step.fullAtMillis());
      } else {
        m.remove(key);
      }
      return step.take();
    });
  }

  @Override
  public Future<Void> putMarker(String tenant, String name, Instant expiresAt) {
    String map = mapName(tenant);
    return db.write(() -> {
      if (expiresAt.toEpochMilli() <= db.clock().millis()) {
        MVMap<String, String> m = db.existing(map);
        if (m != null) {
          m.remove("m:" + name);
        }
      } else {
        db.<String, String>map(map).put("m:" + name, Long.toString(expiresAt.toEpochMilli()));
      }
      return null;
    });
  }

  @Override
  public Future<Instant> getMarker(String tenant, String name) {
    String map = mapName(tenant);
    return db.read(() -> {
      MVMap<String, String> m = db.existing(map);
      String v = m == null ? null : m.get("m:" + name);
      if (v == null) {
        return null;
      }
      long at = Long.parseLong(v);
      return at <= db.clock().millis() ? null : Instant.ofEpochMilli(at);
    });
  }

  @Override
  public Future<Void> deleteMarker(String tenant, String name) {
    return remove(tenant, "m:" + name);
  }

  private Future<Void> remove(String tenant, String key) {
    String map = mapName(tenant);
    return db.write(() -> {
      MVMap<String, String> m = db.existing(map);
      if (m != null) {
        m.remove(key);
      }
      return null;
    });
  }

  private static long[] parseCounter(String v) {
    if (v == null) {
      return null;
    }
    int colon = v.indexOf(':');
    return new long[] {Long.parseLong(v.substring(0, colon)), Long.parseLong(v.substring(colon + 1))};
  }

  /** Removes expired counters and markers in every scope (store thread). */
  void sweepExpired(long nowMillis) {
    List<String> scopes = new ArrayList<>();
    scopes.add(null);
    scopes.addAll(db.tenantsWithMaps());
    for (String tenant : scopes) {
      MVMap<String, String> m = existing(tenant);
      if (m == null) {
        continue;
      }
      List<String> expired = new ArrayList<>();
      for (Map.Entry<String, String> e : EmbeddedStore.<String>withPrefix(m, "")) {
        String k = e.getKey();
        long expires = k.startsWith("c:") ? parseCounter(e.getValue())[1]
            : k.startsWith("m:") ? Long.parseLong(e.getValue())
            : k.startsWith("b:") ? Long.parseLong(e.getValue().substring(e.getValue().lastIndexOf(':') + 1))
            : Long.MAX_VALUE;
        if (expires <= nowMillis) {
          expired.add(k);
        }
      }
      expired.forEach(m::remove);
    }
  }
}
