package dev.kasoku.common.store.embedded;

import dev.kasoku.common.model.PurgeRecord;
import dev.kasoku.common.store.PurgeLog;
import dev.kasoku.common.json.Json;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import org.h2.mvstore.Cursor;
import org.h2.mvstore.MVMap;

/**
 * The purge log: {@code g:purges} (seq → JSON) ordered by its long key. The sequence comes from
 * the {@code purgeSeq} meta counter, not from the last key, so a sequence is never reused even when
 * the newest records were erased with their tenant. {@code t:<tenant>:purges} indexes the tenant's
 * sequences for erasure.
 */
final class EmbeddedPurgeLog implements PurgeLog {
  static final String TENANT_INDEX = "purges";
  private final EmbeddedStore db;

  EmbeddedPurgeLog(EmbeddedStore db) {
    this.db = db;
  }

  @Override
  public Future<PurgeRecord> append(PurgeRecord record) {
    return db.write(() -> {
      long seq = db.incrementMeta(EmbeddedStore.META_PURGE_SEQ);
      PurgeRecord stored = record.withSeq(seq);
      db.<Long, String>map(EmbeddedStore.G_PURGES).put(seq, Json.encode(stored));
      db.<Long, Boolean>map(EmbeddedStore.tenantMap(record.tenant(), TENANT_INDEX)).put(seq, Boolean.TRUE);
      return stored;
    });
  }

  @Override
  public Future<List<PurgeRecord>> readAfter(long afterSeq, int limit) {
    if (limit <= 0) {
      return Future.failedFuture(new IllegalArgumentException("limit must be positive: " + limit));
    }
    return db.read(() -> {
      List<PurgeRecord> out = new ArrayList<>();
      MVMap<Long, String> log = db.existing(EmbeddedStore.G_PURGES);
      if (log == null || afterSeq == Long.MAX_VALUE) {
        return out;
      }
      for (Cursor<Long, String> c = log.cursor(afterSeq + 1); c.hasNext() && out.size() < limit; ) {
        c.next();
        out.add(Json.decode(c.getValue(), PurgeRecord.class));
      }
      return out;
    });
  }

  @Override
  public Future<Long> lastSeq() {
    return db.read(() -> db.meta(EmbeddedStore.META_PURGE_SEQ));
  }

  @Override
  public Future<Long> trim(long keepNewest) {
    if (keepNewest < 1) {
      return Future.failedFuture(new IllegalArgumentException("keepNewest must be at least 1: " + keepNewest));
    }
    return db.write(() -> {
      MVMap<Long, String> log = db.existing(EmbeddedStore.G_PURGES);
      long removed = 0;
      long through = 0;
      while (log != null && log.sizeAsLong() > keepNewest) {
        Long oldest = log.firstKey();
        PurgeRecord r = Json.decode(log.remove(oldest), PurgeRecord.class);
        MVMap<Long, Boolean> index = db.existing(EmbeddedStore.tenantMap(r.tenant(), TENANT_INDEX));
        if (index != null) {
          index.remove(oldest);
        }
        through = oldest;
        removed++;
      }
      if (removed > 0) {
        Long next = log.firstKey();
        db.raiseMeta(EmbeddedStore.META_PURGE_TRIMMED, next == null ? through : next - 1);
      }
      return removed;
    });
  }

  @Override
  public Future<Long> trimmedThrough() {
    return db.read(() -> db.meta(EmbeddedStore.META_PURGE_TRIMMED));
  }
}
