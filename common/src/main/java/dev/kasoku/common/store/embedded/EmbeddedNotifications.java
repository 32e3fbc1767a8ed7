package dev.kasoku.common.store.embedded;

import dev.kasoku.common.model.Ids;
import dev.kasoku.common.model.Notification;
import dev.kasoku.common.store.NotificationStore;
import dev.kasoku.common.json.Json;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import org.h2.mvstore.Cursor;
import org.h2.mvstore.MVMap;

/**
 * {@code t:<tenant>:notifications}: key {@code -n} for the n-th appended entry, so ascending key
 * order is newest first and the oldest entry is the last key (trimmed beyond
 * {@link NotificationStore#MAX_ENTRIES}).
 */
final class EmbeddedNotifications implements NotificationStore {
  static final String FEED = "notifications";
  private final EmbeddedStore db;

  EmbeddedNotifications(EmbeddedStore db) {
    this.db = db;
  }

  @Override
  public Future<Void> append(Notification notification) {
    String json = Json.encode(notification);
    return db.write(() -> {
      MVMap<Long, String> feed = db.map(EmbeddedStore.tenantMap(notification.tenant(), FEED));
      Long newest = feed.firstKey();
      feed.put(newest == null ? -1L : newest - 1, json);
      while (feed.size() > MAX_ENTRIES) {
        feed.remove(feed.lastKey());
      }
      return null;
    });
  }

  @Override
  public Future<List<Notification>> list(String tenant, int limit) {
    Ids.requireValid(tenant);
    if (limit <= 0) {
      return Future.failedFuture(new IllegalArgumentException("limit must be positive: " + limit));
    }
    return db.read(() -> {
      List<Notification> out = new ArrayList<>();
      MVMap<Long, String> feed = db.existing(EmbeddedStore.tenantMap(tenant, FEED));
      if (feed == null) {
        return out;
      }
      for (Cursor<Long, String> c = feed.cursor(null); c.hasNext() && out.size() < limit; ) {
        c.next();
        out.add(Json.decode(c.getValue(), Notification.class));
      }
      return out;
    });
  }
}
