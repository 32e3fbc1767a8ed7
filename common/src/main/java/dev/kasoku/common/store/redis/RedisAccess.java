package dev.kasoku.common.store.redis;

import static dev.kasoku.common.store.redis.RedisStore.cmd;
import static dev.kasoku.common.store.redis.RedisStore.str;

import dev.kasoku.common.store.AccessStore;
import dev.kasoku.common.store.impl.StoreJson;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Access state as plain keys with Redis expiry: {@code <scope>allowlist} (JSON array),
 * {@code <scope>ctr:<name>} (INCR; PEXPIRE set by the first increment, in the same script) and
 * {@code <scope>mark:<name>} (value = expiry millis, SET ... PXAT), where the scope is
 * {@code <root>:t:<tenant>:} or {@code <root>:access:} for the platform.
 */
final class RedisAccess implements AccessStore {
  private static final LuaScript INCREMENT = new LuaScript("""
      -- KEYS[1] counter; ARGV[1] window in ms: a fixed window that starts at the first increment
      local v = redis.call('INCR', KEYS[1])
      if v == 1 or redis.call('PTTL', KEYS[1]) < 0 then
        redis.call('PEXPIRE', KEYS[1], ARGV[1])
      end
      return v
      """);
  private final RedisStore store;

  RedisAccess(RedisStore store) {
    this.store = store;
  }

  private String scoped(String tenant, String name) {
    return tenant == null ? store.key("access:" + name) : store.tenantKey(tenant, name);
  }

  @Override
  public Future<List<String>> getAllowlist(String tenant) {
    return store.send(cmd(Command.GET, scoped(tenant, "allowlist")))
        .map(r -> r == null ? List.<String>of() : List.of(StoreJson.decode(str(r), String[].class)));
  }

  @Override
  public Future<Void> putAllowlist(String tenant, List<String> cidrs) {
    return store.send(cmd(Command.SET, scoped(tenant, "allowlist"), StoreJson.encode(List.copyOf(cidrs)))).mapEmpty();
  }

  @Override
  public Future<Long> incrementCounter(String tenant, String name, Duration ttl) {
    if (ttl.isNegative() || ttl.isZero()) {
      return Future.failedFuture(new IllegalArgumentException("ttl must be positive"));
    }
    return store.eval(INCREMENT, List.of(scoped(tenant, "ctr:" + name)), List.of(Long.toString(ttl.toMillis())))
        .map(r -> r.toLong());
  }

  @Override
  public Future<Long> getCounter(String tenant, String name) {
    return store.send(cmd(Command.GET, scoped(tenant, "ctr:" + name))).map(r -> r == null ? 0L : r.toLong());
  }

  @Override
  public Future<Void> deleteCounter(String tenant, String name) {
    return store.send(cmd(Command.DEL, scoped(tenant, "ctr:" + name))).mapEmpty();
  }

  @Override
  public Future<Void> putMarker(String tenant, String name, Instant expiresAt) {
    String key = scoped(tenant, "mark:" + name);
    long at = expiresAt.toEpochMilli();
    if (at <= store.clock().millis()) {
      return store.send(cmd(Command.DEL, key)).mapEmpty();
    }
    return store.send(cmd(Command.SET, key, Long.toString(at), "PXAT", at)).mapEmpty();
  }

  @Override
  public Future<Instant> getMarker(String tenant, String name) {
    return store.send(cmd(Command.GET, scoped(tenant, "mark:" + name))).map(r -> {
      if (r == null) {
        return null;
      }
      long at = Long.parseLong(r.toString());
      return at <= store.clock().millis() ? null : Instant.ofEpochMilli(at);
    });
  }

  @Override
  public Future<Void> deleteMarker(String tenant, String name) {
    return store.send(cmd(Command.DEL, scoped(tenant, "mark:" + name))).mapEmpty();
  }
}
