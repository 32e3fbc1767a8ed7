package dev.kasoku.common.store.redis;

import static dev.kasoku.common.store.redis.RedisStore.cmd;
import static dev.kasoku.common.store.redis.RedisStore.strings;

import dev.kasoku.common.model.Notification;
import dev.kasoku.common.store.NotificationStore;
import dev.kasoku.common.json.Json;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import java.util.List;

/** {@code <root>:t:<tenant>:notifications}: a list, newest at the head, trimmed in the same script as the push. */
final class RedisNotifications implements NotificationStore {
  static final String FEED = "notifications";
  private static final LuaScript APPEND = new LuaScript("""
      -- KEYS[1] feed; ARGV[1] json, ARGV[2] max entries
      redis.call('LPUSH', KEYS[1], ARGV[1])
      redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)
      return 1
      """);
  private final RedisStore store;

  RedisNotifications(RedisStore store) {
    this.store = store;
  }

  @Override
  public Future<Void> append(Notification notification) {
    return store.eval(APPEND, List.of(store.tenantKey(notification.tenant(), FEED)),
        List.of(Json.encode(notification), Integer.toString(MAX_ENTRIES))).mapEmpty();
  }

  @Override
  public Future<List<Notification>> list(String tenant, int limit) {
    if (limit <= 0) {
      return Future.failedFuture(new IllegalArgumentException("limit must be positive: " + limit));
    }
    return store.send(cmd(Command.LRANGE, store.tenantKey(tenant, FEED), 0, Math.min(limit, MAX_ENTRIES) - 1))
        .map(r -> strings(r).stream().map(j -> Json.decode(j, Notification.class)).toList());
  }
}
