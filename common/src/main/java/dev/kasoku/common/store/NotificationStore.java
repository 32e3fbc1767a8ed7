package dev.kasoku.common.store;

import dev.kasoku.common.model.Notification;
import io.vertx.core.Future;
import java.util.List;

/** Each tenant's notification feed, newest first, bounded to {@link #MAX_ENTRIES}. */
public interface NotificationStore {
  int MAX_ENTRIES = 1000;

  Future<Void> append(Notification notification);

  /** Newest first, at most {@code limit}. */
  Future<List<Notification>> list(String tenant, int limit);
}
