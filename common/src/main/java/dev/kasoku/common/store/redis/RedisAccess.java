package dev.kasoku.common.store.redis;

import static dev.kasoku.common.store.redis.RedisStore.cmd;
import static dev.kasoku.common.store.redis.RedisStore.str;

import dev.kasoku.common.store.AccessStore;
import dev.kasoku.common.store.TokenBucket;
import dev.kasoku.common.json.Json;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Access state as plain keys with Redis expiry: {@code <scope>allowlist} (JSON array),
 * {@code <scope>ctr:<name>} (INCR; PEXPIRE set by the first increment, in the same script) and
 * {@code <scope>mark:<name>} (value = expiry millis, SET ... PXAT), {@code <scope>bucket:<name>}
 * (token bucket {@code tokens:last}, expiring when it would be full again), where the scope is
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
  /**
   * The step of {@code TokenBuckets.take} (common/store/impl), which the embedded store runs in Java:
   * keep the two identical. Integer arithmetic only (Lua numbers are doubles, exact below 2^53).
   */
  private static final LuaScript TAKE_TOKEN = new LuaScript("""
      -- KEYS[1] bucket; ARGV: 1 now ms, 2 capacity, 3 refill interval ms
      local now = tonumber(ARGV[1])
      local capacity = tonumber(ARGV[2])
      local interval = tonumber(ARGV[3])
      local tokens = capacity
      local last = now
      local state = redis.call('GET', KEYS[1])
      if state then
        local colon = string.find(state, ':', 1, true)
        tokens = math.min(tonumber(string.sub(state, 1, colon - 1)), capacity)
        last = tonumber(string.sub(state, colon + 1))
        if now > last then
          local gained = math.floor((now - last) / interval)
          if tokens + gained >= capacity then
            tokens = capacity
            last = now
          else
            tokens = tokens + gained
            last = last + gained * interval
          end
        end
      end
      local granted = 0
      if tokens >= 1 then
        tokens = tokens - 1
        granted = 1
      end
      local wait = 0
      if granted == 0 then
        wait = math.max(1, last + interval - now)
      end
      local full_in = last + (capacity - tokens) * interval - now
      if full_in > 0 then
        redis.call('SET', KEYS[1], string.format('%d:%d', tokens, last), 'PX', full_in)
      else
        redis.call('DEL', KEYS[1])
      end
      return {granted, tokens, wait}
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
        .map(r -> r == null ? List.<String>of() : List.of(Json.decode(str(r), String[].class)));
  }

  @Override
  public Future<Void> putAllowlist(String tenant, List<String> cidrs) {
    return store.send(cmd(Command.SET, scoped(tenant, "allowlist"), Json.encode(List.copyOf(cidrs)))).mapEmpty();
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
  public Future<TokenBucket.Take> takeToken(String tenant, String name, TokenBucket bucket) {
    List<String> args = new ArrayList<>(3);
    args.add(Long.toString(store.clock().millis()));
    args.add(Long.toString(bucket.capacity()));
    args.add(Long.toString(bucket.intervalMillis()));
    return store.eval(TAKE_TOKEN, List.of(scoped(tenant, "bucket:" + name)), args)
        .map(r -> new TokenBucket.Take(r.get(0).toLong() == 1, r.get(1).toLong(), Duration.ofMillis(r.get(2).toLong())));
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
