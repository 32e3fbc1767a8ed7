package dev.kasoku.common.store.embedded;

import dev.kasoku.common.model.Ids;
import dev.kasoku.common.store.LogSinkStore;
import io.vertx.core.Future;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Map;
import java.util.TreeMap;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.h2.mvstore.MVMap;

/**
 * {@code t:<tenant>:logSinks} (key {@value #LIST} → the list JSON, {@code id:<sinkId>} → "" for each
 * listed sink) and {@code t:<tenant>:logSinkCursors} ({@code <sinkId>/<instance>} → cursor JSON). The
 * store's single thread makes each operation atomic; the change epoch is the meta counter
 * {@value #EPOCH}. The logging instances are the platform map {@value #INSTANCES} (id → epoch
 * millisecond last seen); a tenant's log retention is {@code t:<tenant>:logSettings}
 * ({@value #RETENTION} → days).
 */
final class EmbeddedLogSinks implements LogSinkStore {
  static final String SINKS = "logSinks";
  static final String CURSORS = "logSinkCursors";
  static final String LIST = "list";
  static final String EPOCH = "logSinksEpoch";
  static final String INSTANCES = "g:logInstances";
  static final String SETTINGS = "logSettings";
  static final String RETENTION = "retentionDays";
  private static final String ID = "id:";
  private final EmbeddedStore db;

  EmbeddedLogSinks(EmbeddedStore db) {
    this.db = db;
  }

  @Override
  public Future<Void> put(String tenant, String listJson, List<String> sinkIds) {
    Ids.requireValid(tenant);
    sinkIds.forEach(Ids::requireValid);
    return db.write(() -> {
      Set<String> live = new HashSet<>(sinkIds);
      if (live.isEmpty()) {
        db.dropMap(EmbeddedStore.tenantMap(tenant, SINKS));
        db.dropMap(EmbeddedStore.tenantMap(tenant, CURSORS));
        db.incrementMeta(EPOCH);
        return null;
      }
      MVMap<String, String> sinks = db.map(EmbeddedStore.tenantMap(tenant, SINKS));
      sinks.clear();
      sinks.put(LIST, listJson);
      live.forEach(id -> sinks.put(ID + id, ""));
      MVMap<String, String> cursors = db.existing(EmbeddedStore.tenantMap(tenant, CURSORS));
      if (cursors != null) {
        List<String> gone = new ArrayList<>();
        for (String key : cursors.keySet()) {
          if (!live.contains(key.substring(0, key.indexOf('/')))) {
            gone.add(key);
          }
        }
        gone.forEach(cursors::remove);
      }
      db.incrementMeta(EPOCH);
      return null;
    });
  }

  @Override
  public Future<Optional<String>> get(String tenant) {
    Ids.requireValid(tenant);
    return db.read(() -> {
      MVMap<String, String> sinks = db.existing(EmbeddedStore.tenantMap(tenant, SINKS));
      return Optional.ofNullable(sinks == null ? null : sinks.get(LIST));
    });
  }

  @Override
  public Future<List<String>> tenants() {
    return db.read(() -> {
      List<String> out = new ArrayList<>();
      for (String tenant : db.tenantsWithMaps()) {
        MVMap<String, String> sinks = db.existing(EmbeddedStore.tenantMap(tenant, SINKS));
        if (sinks != null && sinks.containsKey(LIST)) {
          out.add(tenant);
        }
      }
      return out;
    });
  }

  @Override
  public Future<Long> changeEpoch() {
    return db.read(() -> db.meta(EPOCH));
  }

  @Override
  public Future<Boolean> putCursor(String tenant, String sinkId, String instance, String json) {
    Ids.requireValid(tenant);
    Ids.requireValid(sinkId);
    Ids.requireValid(instance);
    return db.write(() -> {
      MVMap<String, String> sinks = db.existing(EmbeddedStore.tenantMap(tenant, SINKS));
      if (sinks == null || !sinks.containsKey(ID + sinkId)) {
        return false;
      }
      db.<String, String>map(EmbeddedStore.tenantMap(tenant, CURSORS)).put(sinkId + "/" + instance, json);
      return true;
    });
  }

  @Override
  public Future<List<Cursor>> cursors(String tenant) {
    Ids.requireValid(tenant);
    return db.read(() -> {
      List<Cursor> out = new ArrayList<>();
      MVMap<String, String> cursors = db.existing(EmbeddedStore.tenantMap(tenant, CURSORS));
      if (cursors != null) {
        for (var e : cursors.entrySet()) {
          int slash = e.getKey().indexOf('/');
          out.add(new Cursor(e.getKey().substring(0, slash), e.getKey().substring(slash + 1), e.getValue()));
        }
      }
      return out;
    });
  }

  /** Whether the tenant has a list (erasure raises the epoch then). Store thread only. */
  boolean hasSinks(String tenant) {
    MVMap<String, String> sinks = db.existing(EmbeddedStore.tenantMap(tenant, SINKS));
    return sinks != null && sinks.containsKey(LIST);
  }

  @Override
  public Future<Void> instanceSeen(String instance, Instant at) {
    Ids.requireValid(instance);
    return db.write(() -> {
      db.<String, Long>map(INSTANCES).put(instance, at.toEpochMilli());
      return null;
    });
  }

  @Override
  public Future<Map<String, Instant>> instances() {
    return db.read(() -> {
      Map<String, Instant> out = new TreeMap<>();
      MVMap<String, Long> all = db.existing(INSTANCES);
      if (all != null) {
        all.forEach((id, at) -> out.put(id, Instant.ofEpochMilli(at)));
      }
      return out;
    });
  }

  @Override
  public Future<Void> forgetInstance(String instance) {
    Ids.requireValid(instance);
    return db.write(() -> {
      MVMap<String, Long> all = db.existing(INSTANCES);
      if (all != null) {
        all.remove(instance);
      }
      return null;
    });
  }

  @Override
  public Future<Optional<Integer>> logRetentionDays(String tenant) {
    Ids.requireValid(tenant);
    return db.read(() -> {
      MVMap<String, String> settings = db.existing(EmbeddedStore.tenantMap(tenant, SETTINGS));
      String days = settings == null ? null : settings.get(RETENTION);
      return Optional.ofNullable(days == null ? null : Integer.valueOf(days));
    });
  }

  @Override
  public Future<Void> putLogRetentionDays(String tenant, Integer days) {
    Ids.requireValid(tenant);
    return db.write(() -> {
      if (days == null) {
        db.dropMap(EmbeddedStore.tenantMap(tenant, SETTINGS));
      } else {
        db.<String, String>map(EmbeddedStore.tenantMap(tenant, SETTINGS)).put(RETENTION, Integer.toString(days));
      }
      return null;
    });
  }
}
