package dev.kasoku.common.store.redis;

import static dev.kasoku.common.store.redis.RedisStore.cmd;
import static dev.kasoku.common.store.redis.RedisStore.strings;

import dev.kasoku.common.model.PurgeRecord;
import dev.kasoku.common.store.PurgeLog;
import dev.kasoku.common.store.impl.StoreJson;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * The purge log as a Redis Stream {@code <root>:purges}. The sequence is {@code INCR
 * <root>:purge:seq} in the same script as the {@code XADD}, and the entry id is {@code <seq>-0}, so
 * ids and sequences agree, XRANGE from {@code (afterSeq+1)-0} pages in order, and a sequence is
 * never reused (the counter does not go back when entries are deleted). The entry's single field
 * {@code r} holds the record's JSON. {@code <root>:t:<tenant>:purges} (set of seqs) indexes a
 * tenant's entries so an erase can XDEL them.
 */
final class RedisPurgeLog implements PurgeLog {
  static final String STREAM = "purges";
  static final String SEQ = "purge:seq";
  static final String TENANT_INDEX = "purges";
  private static final LuaScript APPEND = new LuaScript("""
      -- KEYS: 1 seq counter, 2 stream, 3 tenant index; ARGV: 1 record json
      local seq = redis.call('INCR', KEYS[1])
      redis.call('XADD', KEYS[2], seq .. '-0', 'r', ARGV[1])
      redis.call('SADD', KEYS[3], seq)
      return seq
      """);
  private final RedisStore store;

  RedisPurgeLog(RedisStore store) {
    this.store = store;
  }

  @Override
  public Future<PurgeRecord> append(PurgeRecord record) {
    PurgeRecord unnumbered = record.withSeq(0);
    return store.eval(APPEND, List.of(store.key(SEQ), store.key(STREAM), store.tenantKey(record.tenant(), TENANT_INDEX)),
        List.of(StoreJson.encode(unnumbered))).map(r -> record.withSeq(r.toLong()));
  }

  @Override
  public Future<List<PurgeRecord>> readAfter(long afterSeq, int limit) {
    if (limit <= 0) {
      return Future.failedFuture(new IllegalArgumentException("limit must be positive: " + limit));
    }
    if (afterSeq == Long.MAX_VALUE) {
      return Future.succeededFuture(List.of());
    }
    return store.send(cmd(Command.XRANGE, store.key(STREAM), Math.max(0, afterSeq + 1) + "-0", "+", "COUNT", limit))
        .map(r -> {
          List<PurgeRecord> out = new ArrayList<>();
          for (Response entry : r) {
            String id = entry.get(0).toString();
            long seq = Long.parseLong(id.substring(0, id.indexOf('-')));
            Response fields = entry.get(1);
            String json = fields.isMap() ? fields.get("r").toString() : fields.get(1).toString();
            out.add(RedisStore.decodePurge(json, seq));
          }
          return out;
        });
  }

  @Override
  public Future<Long> lastSeq() {
    return store.send(cmd(Command.GET, store.key(SEQ))).map(r -> r == null ? 0L : r.toLong());
  }

  /** XDELs the tenant's entries (found through its index) from the stream. */
  Future<Void> eraseTenantEntries(String tenant) {
    return store.send(cmd(Command.SMEMBERS, store.tenantKey(tenant, TENANT_INDEX))).compose(members -> {
      List<String> seqs = strings(members);
      Future<Void> chain = Future.succeededFuture();
      for (int from = 0; from < seqs.size(); from += 500) {
        List<String> chunk = seqs.subList(from, Math.min(seqs.size(), from + 500));
        Object[] args = new Object[chunk.size() + 1];
        args[0] = store.key(STREAM);
        for (int i = 0; i < chunk.size(); i++) {
          args[i + 1] = chunk.get(i) + "-0";
        }
        chain = chain.compose(v -> store.send(cmd(Command.XDEL, args)).mapEmpty());
      }
      return chain;
    });
  }
}
