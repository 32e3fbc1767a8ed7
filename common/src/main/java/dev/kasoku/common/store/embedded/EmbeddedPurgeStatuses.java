package dev.kasoku.common.store.embedded;

import dev.kasoku.common.model.Ids;
import dev.kasoku.common.store.PurgeStatusStore;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.Optional;
import org.h2.mvstore.MVMap;

/**
 * {@code t:<tenant>:purgeStatus} (id → expiry millis and JSON) and {@code t:<tenant>:purgeStatusExpiry}
 * (zero-padded expiry and id → id, in expiry order): each put first drops the entries that expired,
 * so the maps hold only live statuses.
 */
final class EmbeddedPurgeStatuses implements PurgeStatusStore {
  static final String STATUSES = "purgeStatus";
  static final String EXPIRY = "purgeStatusExpiry";
  private final EmbeddedStore db;

  EmbeddedPurgeStatuses(EmbeddedStore db) {
    this.db = db;
  }

  @Override
  public Future<Void> put(String tenant, String id, String json, Duration ttl) {
    Ids.requireValid(tenant);
    Ids.requireValid(id);
    return db.write(() -> {
      long now = db.clock().millis();
      MVMap<String, String> statuses = db.map(EmbeddedStore.tenantMap(tenant, STATUSES));
      MVMap<String, String> expiry = db.map(EmbeddedStore.tenantMap(tenant, EXPIRY));
      for (String first = expiry.firstKey(); first != null && expiresAt(first) <= now; first = expiry.firstKey()) {
        String expiredId = expiry.remove(first);
        String current = statuses.get(expiredId);
        if (current != null && expiresAt(current) <= now) {
          statuses.remove(expiredId);
        }
      }
      long expires = now + Math.max(1, ttl.toMillis());
      String previous = statuses.put(id, expires + "\n" + json);
      if (previous != null) {
        expiry.remove(orderKey(expiresAt(previous), id));
      }
      expiry.put(orderKey(expires, id), id);
      return null;
    });
  }

  @Override
  public Future<Optional<String>> get(String tenant, String id) {
    if (!Ids.isValid(tenant) || !Ids.isValid(id)) {
      return Future.succeededFuture(Optional.empty());
    }
    return db.read(() -> {
      MVMap<String, String> statuses = db.existing(EmbeddedStore.tenantMap(tenant, STATUSES));
      String v = statuses == null ? null : statuses.get(id);
      if (v == null || expiresAt(v) <= db.clock().millis()) {
        return Optional.empty();
      }
      return Optional.of(v.substring(v.indexOf('\n') + 1));
    });
  }

  private static String orderKey(long expiresAt, String id) {
    return String.format("%019d", expiresAt) + "\n" + id;
  }

  /** The expiry at the head of either map's value or order key. */
  private static long expiresAt(String entry) {
    return Long.parseLong(entry.substring(0, entry.indexOf('\n')));
  }
}
