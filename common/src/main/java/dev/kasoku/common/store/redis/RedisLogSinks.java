package dev.kasoku.common.store.redis;

import static dev.kasoku.common.store.redis.RedisStore.cmd;
import static dev.kasoku.common.store.redis.RedisStore.hash;
import static dev.kasoku.common.store.redis.RedisStore.str;
import static dev.kasoku.common.store.redis.RedisStore.strings;

import dev.kasoku.common.model.Ids;
import dev.kasoku.common.store.LogSinkStore;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import java.time.Instant;
import java.util.ArrayList;
import java.util.TreeMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code <root>:t:<tenant>:logsinks} (the list JSON), {@code ...:logsinks:ids} (set of listed sink
 * ids) and {@code ...:logsinks:cursors} (hash {@code <sinkId>/<instance>} → cursor JSON); the
 * platform keys {@code <root>:logsinks:tenants} (set of tenants with sinks, so a logging instance
 * finds them without scanning the key space) and {@code <root>:logsinks:epoch}. Replacing a list
 * and writing a cursor are each one script, so both are atomic with respect to each other. The
 * logging instances are the platform hash {@code <root>:loginstances} (id → epoch millisecond last
 * seen); a tenant's log retention is {@code <root>:t:<tenant>:logs:retention} (days).
 */
final class RedisLogSinks implements LogSinkStore {
  static final String LIST = "logsinks";
  static final String IDS = "logsinks:ids";
  static final String CURSORS = "logsinks:cursors";
  static final String TENANTS = "logsinks:tenants";
  static final String EPOCH = "logsinks:epoch";
  static final String INSTANCES = "loginstances";
  static final String RETENTION = "logs:retention";

  private static final LuaScript PUT = new LuaScript("""
      -- KEYS[1] list, KEYS[2] ids, KEYS[3] cursors, KEYS[4] tenants, KEYS[5] epoch
      -- ARGV[1] tenant, ARGV[2] list json, ARGV[3..] sink ids (none: remove the list)
      local live = {}
      for i = 3, #ARGV do live[ARGV[i]] = true end
      redis.call('DEL', KEYS[1], KEYS[2])
      if #ARGV >= 3 then
        redis.call('SET', KEYS[1], ARGV[2])
        for i = 3, #ARGV do redis.call('SADD', KEYS[2], ARGV[i]) end
        redis.call('SADD', KEYS[4], ARGV[1])
      else
        redis.call('SREM', KEYS[4], ARGV[1])
      end
      local fields = redis.call('HKEYS', KEYS[3])
      for _, f in ipairs(fields) do
        local id = string.sub(f, 1, string.find(f, '/', 1, true) - 1)
        if not live[id] then redis.call('HDEL', KEYS[3], f) end
      end
      return redis.call('INCR', KEYS[5])
      """);

  private static final LuaScript PUT_CURSOR = new LuaScript("""
      -- KEYS[1] ids, KEYS[2] cursors; ARGV[1] sink id, ARGV[2] field, ARGV[3] json
      if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then return 0 end
      redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
      return 1
      """);

  private final RedisStore store;

  RedisLogSinks(RedisStore store) {
    this.store = store;
  }

  @Override
  public Future<Void> put(String tenant, String listJson, List<String> sinkIds) {
    sinkIds.forEach(Ids::requireValid);
    List<String> args = new ArrayList<>(sinkIds.size() + 2);
    args.add(Ids.requireValid(tenant));
    args.add(listJson);
    args.addAll(sinkIds);
    return store.eval(PUT, List.of(store.tenantKey(tenant, LIST), store.tenantKey(tenant, IDS),
        store.tenantKey(tenant, CURSORS), store.key(TENANTS), store.key(EPOCH)), args).mapEmpty();
  }

  @Override
  public Future<Optional<String>> get(String tenant) {
    return store.send(cmd(Command.GET, store.tenantKey(tenant, LIST))).map(r -> Optional.ofNullable(str(r)));
  }

  @Override
  public Future<List<String>> tenants() {
    return store.send(cmd(Command.SMEMBERS, store.key(TENANTS))).map(r -> {
      List<String> out = new ArrayList<>(strings(r));
      out.sort(String::compareTo);
      return out;
    });
  }

  @Override
  public Future<Long> changeEpoch() {
    return store.send(cmd(Command.GET, store.key(EPOCH))).map(r -> r == null ? 0L : r.toLong());
  }

  @Override
  public Future<Boolean> putCursor(String tenant, String sinkId, String instance, String json) {
    Ids.requireValid(sinkId);
    Ids.requireValid(instance);
    return store.eval(PUT_CURSOR, List.of(store.tenantKey(tenant, IDS), store.tenantKey(tenant, CURSORS)),
        List.of(sinkId, sinkId + "/" + instance, json)).map(r -> r.toInteger() == 1);
  }

  @Override
  public Future<List<Cursor>> cursors(String tenant) {
    return store.send(cmd(Command.HGETALL, store.tenantKey(tenant, CURSORS))).map(r -> {
      List<Cursor> out = new ArrayList<>();
      for (Map.Entry<String, String> e : hash(r).entrySet()) {
        int slash = e.getKey().indexOf('/');
        out.add(new Cursor(e.getKey().substring(0, slash), e.getKey().substring(slash + 1), e.getValue()));
      }
      return out;
    });
  }

  @Override
  public Future<Void> instanceSeen(String instance, Instant at) {
    return store.send(cmd(Command.HSET, store.key(INSTANCES), Ids.requireValid(instance), at.toEpochMilli()))
        .mapEmpty();
  }

  @Override
  public Future<Map<String, Instant>> instances() {
    return store.send(cmd(Command.HGETALL, store.key(INSTANCES))).map(r -> {
      Map<String, Instant> out = new TreeMap<>();
      hash(r).forEach((id, at) -> out.put(id, Instant.ofEpochMilli(Long.parseLong(at))));
      return out;
    });
  }

  @Override
  public Future<Void> forgetInstance(String instance) {
    return store.send(cmd(Command.HDEL, store.key(INSTANCES), Ids.requireValid(instance))).mapEmpty();
  }

  @Override
  public Future<Optional<Integer>> logRetentionDays(String tenant) {
    return store.send(cmd(Command.GET, store.tenantKey(tenant, RETENTION)))
        .map(r -> Optional.ofNullable(str(r)).map(Integer::valueOf));
  }

  @Override
  public Future<Void> putLogRetentionDays(String tenant, Integer days) {
    return (days == null ? store.send(cmd(Command.DEL, store.tenantKey(tenant, RETENTION)))
        : store.send(cmd(Command.SET, store.tenantKey(tenant, RETENTION), days))).mapEmpty();
  }
}
