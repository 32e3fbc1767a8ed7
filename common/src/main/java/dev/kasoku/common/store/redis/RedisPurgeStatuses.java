package dev.kasoku.common.store.redis;

import static dev.kasoku.common.store.redis.RedisStore.cmd;

import dev.kasoku.common.model.Ids;
import dev.kasoku.common.store.PurgeStatusStore;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import java.time.Duration;
import java.util.Optional;

/** {@code <root>:t:<tenant>:purge:<id>}: the status JSON, with Redis's own expiry ({@code SET ... PX}). */
final class RedisPurgeStatuses implements PurgeStatusStore {
  static final String PREFIX = "purge:";
  private final RedisStore store;

  RedisPurgeStatuses(RedisStore store) {
    this.store = store;
  }

  @Override
  public Future<Void> put(String tenant, String id, String json, Duration ttl) {
    Ids.requireValid(id);
    return store.send(cmd(Command.SET, store.tenantKey(tenant, PREFIX + id), json, "PX", Math.max(1, ttl.toMillis())))
        .mapEmpty();
  }

  @Override
  public Future<Optional<String>> get(String tenant, String id) {
    if (!Ids.isValid(id)) {
      return Future.succeededFuture(Optional.empty());
    }
    return store.send(cmd(Command.GET, store.tenantKey(tenant, PREFIX + id)))
        .map(r -> r == null ? Optional.empty() : Optional.of(r.toString()));
  }
}
