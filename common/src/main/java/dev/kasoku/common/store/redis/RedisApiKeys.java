package dev.kasoku.common.store.redis;

import static dev.kasoku.common.store.redis.RedisStore.cmd;
import static dev.kasoku.common.store.redis.RedisStore.hash;
import static dev.kasoku.common.store.redis.RedisStore.str;

import dev.kasoku.common.model.ApiKey;
import dev.kasoku.common.store.ApiKeyStore;
import dev.kasoku.common.json.Json;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Keys in {@code <root>:t:<tenant>:apikeys} (hash id → JSON) and the platform index
 * {@code <root>:apikeys} (hash id → tenant) that keeps ids unique; both change in one script.
 */
final class RedisApiKeys implements ApiKeyStore {
  static final String INDEX = "apikeys";
  static final String KEYS = "apikeys";
  private static final LuaScript CREATE = new LuaScript("""
      -- KEYS[1] index, KEYS[2] tenant keys; ARGV[1] id, ARGV[2] tenant, ARGV[3] json
      if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then
        return 0
      end
      redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
      return 1
      """);
  private static final LuaScript DELETE = new LuaScript("""
      -- KEYS[1] index, KEYS[2] tenant keys; ARGV[1] id, ARGV[2] tenant
      if redis.call('HDEL', KEYS[2], ARGV[1]) == 0 then
        return 0
      end
      if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
        redis.call('HDEL', KEYS[1], ARGV[1])
      end
      return 1
      """);
  private final RedisStore store;

  RedisApiKeys(RedisStore store) {
    this.store = store;
  }

  @Override
  public Future<Boolean> create(ApiKey key) {
    return store.eval(CREATE, List.of(store.key(INDEX), store.tenantKey(key.tenant(), KEYS)),
        List.of(key.id(), key.tenant(), Json.encode(key))).map(r -> r.toLong() == 1);
  }

  @Override
  public Future<Optional<ApiKey>> find(String id) {
    return store.send(cmd(Command.HGET, store.key(INDEX), id)).compose(tenant -> tenant == null
        ? Future.succeededFuture(Optional.empty())
        : store.send(cmd(Command.HGET, store.tenantKey(tenant.toString(), KEYS), id))
            .map(r -> Optional.ofNullable(str(r)).map(j -> Json.decode(j, ApiKey.class))));
  }

  @Override
  public Future<List<ApiKey>> list(String tenant) {
    return store.send(cmd(Command.HGETALL, store.tenantKey(tenant, KEYS))).map(r -> hash(r).values().stream()
        .map(j -> Json.decode(j, ApiKey.class))
        .sorted(Comparator.comparing(ApiKey::createdAt).thenComparing(ApiKey::id))
        .toList());
  }

  @Override
  public Future<Boolean> delete(String tenant, String id) {
    return store.eval(DELETE, List.of(store.key(INDEX), store.tenantKey(tenant, KEYS)), List.of(id, tenant))
        .map(r -> r.toLong() == 1);
  }
}
