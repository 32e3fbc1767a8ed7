package dev.kasoku.common.store.embedded;

import dev.kasoku.common.json.Json;
import dev.kasoku.common.model.AuditRecord;
import dev.kasoku.common.store.AuditStore;
import io.vertx.core.Future;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.h2.mvstore.MVMap;

/**
 * {@code t:<tenant>:audit} (seq → record JSON) and {@code t:<tenant>:audit-meta} (head, checkpoint);
 * the platform chain in {@code audit:platform} and {@code audit:platform-meta}. Every step runs on
 * the store's single writer, so the head check and the write of {@link #append} cannot interleave
 * with another append.
 */
final class EmbeddedAudit implements AuditStore {
  static final String RECORDS = "audit";
  static final String META = "audit-meta";
  private static final String PLATFORM_RECORDS = "audit:platform";
  private static final String PLATFORM_META = "audit:platform-meta";
  private static final String HEAD = "head";
  private static final String CHECKPOINT = "checkpoint";
  private final EmbeddedStore db;

  EmbeddedAudit(EmbeddedStore db) {
    this.db = db;
  }

  private static String records(String tenant) {
    return tenant == null ? PLATFORM_RECORDS : EmbeddedStore.tenantMap(tenant, RECORDS);
  }

  private static String meta(String tenant) {
    return tenant == null ? PLATFORM_META : EmbeddedStore.tenantMap(tenant, META);
  }

  @Override
  public Future<Head> head(String tenant) {
    return db.read(() -> position(db.existing(meta(tenant)), HEAD));
  }

  @Override
  public Future<Head> checkpoint(String tenant) {
    return db.read(() -> position(db.existing(meta(tenant)), CHECKPOINT));
  }

  private static Head position(Map<String, String> meta, String which) {
    String json = meta == null ? null : meta.get(which);
    return json == null ? Head.GENESIS : Json.decode(json, Head.class);
  }

  @Override
  public Future<Boolean> append(String tenant, Head expected, AuditRecord record) {
    String json = Json.encode(record);
    String head = Json.encode(new Head(record.seq(), record.hash()));
    return db.write(() -> {
      MVMap<String, String> meta = db.map(meta(tenant));
      if (!position(meta, HEAD).equals(expected)) {
        return false;
      }
      db.<Long, String>map(records(tenant)).put(record.seq(), json);
      meta.put(HEAD, head);
      return true;
    });
  }

  @Override
  public Future<List<AuditRecord>> records(String tenant, Instant from, Instant to, int limit) {
    int max = Math.min(Math.max(limit, 0), MAX_READ);
    return db.read(() -> {
      List<AuditRecord> out = new ArrayList<>();
      MVMap<Long, String> map = db.existing(records(tenant));
      if (map == null) {
        return out;
      }
      for (String json : map.values()) {
        if (out.size() >= max) {
          break;
        }
        AuditRecord r = Json.decode(json, AuditRecord.class);
        if ((from == null || !r.ts().isBefore(from)) && (to == null || r.ts().isBefore(to))) {
          out.add(r);
        }
      }
      return out;
    });
  }

  @Override
  public Future<Integer> trim(String tenant, Instant before) {
    return db.write(() -> {
      MVMap<Long, String> map = db.existing(records(tenant));
      if (map == null) {
        return 0;
      }
      int cut = 0;
      AuditRecord last = null;
      while (!map.isEmpty()) {
        AuditRecord first = Json.decode(map.get(map.firstKey()), AuditRecord.class);
        if (!first.ts().isBefore(before)) {
          break;
        }
        map.remove(map.firstKey());
        last = first;
        cut++;
      }
      if (last != null) {
        db.<String, String>map(meta(tenant)).put(CHECKPOINT, Json.encode(new Head(last.seq(), last.hash())));
      }
      return cut;
    });
  }

  @Override
  public Future<List<String>> chains() {
    return db.read(() -> {
      List<String> out = new ArrayList<>();
      for (String tenant : db.tenantsWithMaps()) {
        if (db.existing(EmbeddedStore.tenantMap(tenant, META)) != null) {
          out.add(tenant);
        }
      }
      return out;
    });
  }
}
