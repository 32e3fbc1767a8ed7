package dev.kasoku.common.store.redis;

import static dev.kasoku.common.store.redis.RedisStore.cmd;
import static dev.kasoku.common.store.redis.RedisStore.strings;

import dev.kasoku.common.json.Json;
import dev.kasoku.common.model.AuditRecord;
import dev.kasoku.common.store.AuditStore;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Response;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code <root>:t:<tenant>:audit} (a list, oldest first), {@code ...:audit:head} and
 * {@code ...:audit:checkpoint} ({@code seq:hash}); the platform chain under {@code <root>:audit:platform};
 * the set {@code <root>:audit:chains} lists the tenants that have a chain. {@link #append} and
 * {@link #trim} are Lua scripts: the head check and the write are one atomic step, and a trim only
 * cuts if the chain still starts with the record it read, so two trimmers cannot cut twice.
 */
final class RedisAudit implements AuditStore {
  static final String RECORDS = "audit";
  static final String CHAINS = "audit:chains";
  private static final String PLATFORM = "audit:platform";
  private static final int PAGE = 1000;
  private static final LuaScript APPEND = new LuaScript("""
      -- KEYS[1] records, KEYS[2] head, KEYS[3] chains set; ARGV[1] expected head, ARGV[2] record,
      -- ARGV[3] new head, ARGV[4] tenant ('' for the platform)
      local current = redis.call('GET', KEYS[2])
      if not current then current = '0:' .. string.rep('0', 64) end
      if current ~= ARGV[1] then return 0 end
      redis.call('RPUSH', KEYS[1], ARGV[2])
      redis.call('SET', KEYS[2], ARGV[3])
      if ARGV[4] ~= '' then redis.call('SADD', KEYS[3], ARGV[4]) end
      return 1
      """);
  private static final LuaScript TRIM = new LuaScript("""
      -- KEYS[1] records, KEYS[2] checkpoint; ARGV[1] the first record as read, ARGV[2] how many,
      -- ARGV[3] new checkpoint
      if redis.call('LINDEX', KEYS[1], 0) ~= ARGV[1] then return 0 end
      redis.call('LTRIM', KEYS[1], tonumber(ARGV[2]), -1)
      redis.call('SET', KEYS[2], ARGV[3])
      return tonumber(ARGV[2])
      """);
  private final RedisStore store;

  RedisAudit(RedisStore store) {
    this.store = store;
  }

  private String records(String tenant) {
    return tenant == null ? store.key(PLATFORM) : store.tenantKey(tenant, RECORDS);
  }

  private static String encode(Head h) {
    return h.seq() + ":" + h.hash();
  }

  private static Head decode(Response r) {
    if (r == null) {
      return Head.GENESIS;
    }
    String s = r.toString();
    int colon = s.indexOf(':');
    return new Head(Long.parseLong(s.substring(0, colon)), s.substring(colon + 1));
  }

  @Override
  public Future<Head> head(String tenant) {
    return store.send(cmd(Command.GET, records(tenant) + ":head")).map(RedisAudit::decode);
  }

  @Override
  public Future<Head> checkpoint(String tenant) {
    return store.send(cmd(Command.GET, records(tenant) + ":checkpoint")).map(RedisAudit::decode);
  }

  @Override
  public Future<Boolean> append(String tenant, Head expected, AuditRecord record) {
    String key = records(tenant);
    return store.eval(APPEND, List.of(key, key + ":head", store.key(CHAINS)),
        List.of(encode(expected), Json.encode(record), encode(new Head(record.seq(), record.hash())),
            tenant == null ? "" : tenant))
        .map(r -> r.toLong() == 1);
  }

  @Override
  public Future<List<AuditRecord>> records(String tenant, Instant from, Instant to, int limit) {
    int max = Math.min(Math.max(limit, 0), MAX_READ);
    return page(records(tenant), 0, from, to, max, new ArrayList<>());
  }

  private Future<List<AuditRecord>> page(String key, long start, Instant from, Instant to, int max,
                                         List<AuditRecord> out) {
    return store.send(cmd(Command.LRANGE, key, start, start + PAGE - 1)).compose(r -> {
      List<String> page = strings(r);
      for (String json : page) {
        if (out.size() >= max) {
          return Future.succeededFuture(out);
        }
        AuditRecord rec = Json.decode(json, AuditRecord.class);
        if ((from == null || !rec.ts().isBefore(from)) && (to == null || rec.ts().isBefore(to))) {
          out.add(rec);
        }
      }
      return page.size() < PAGE || out.size() >= max || start + PAGE >= MAX_READ * 2L
          ? Future.succeededFuture(out)
          : page(key, start + PAGE, from, to, max, out);
    });
  }

  @Override
  public Future<Integer> trim(String tenant, Instant before) {
    String key = records(tenant);
    return store.send(cmd(Command.LRANGE, key, 0, PAGE - 1)).compose(r -> {
      List<String> page = strings(r);
      int cut = 0;
      AuditRecord last = null;
      for (String json : page) {
        AuditRecord rec = Json.decode(json, AuditRecord.class);
        if (!rec.ts().isBefore(before)) {
          break;
        }
        last = rec;
        cut++;
      }
      if (cut == 0) {
        return Future.succeededFuture(0);
      }
      int n = cut;
      return store.eval(TRIM, List.of(key, key + ":checkpoint"),
              List.of(page.get(0), Integer.toString(n), encode(new Head(last.seq(), last.hash()))))
          .compose(done -> done.toInteger() == 0 || n < PAGE
              ? Future.succeededFuture(done.toInteger())
              : trim(tenant, before).map(more -> n + more));
    });
  }

  @Override
  public Future<List<String>> chains() {
    return store.send(cmd(Command.SMEMBERS, store.key(CHAINS))).map(r -> strings(r).stream().sorted().toList());
  }
}
