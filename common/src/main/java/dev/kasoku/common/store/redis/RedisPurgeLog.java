package dev.kasoku.common.store.redis;

import static dev.kasoku.common.store.redis.RedisStore.cmd;

import dev.kasoku.common.model.PurgeRecord;
import dev.kasoku.common.store.PurgeLog;
import dev.kasoku.common.json.Json;
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
 * {@code r} holds the record's JSON.
 *
 * <p>{@link #trim} is one script: {@code XTRIM MAXLEN}, then, when it dropped anything, {@code
 * <root>:purge:trimmed} is raised to the sequence before the oldest entry left. Erasing a tenant
 * scans the stream (bounded by the retention) for its entries and XDELs them; there is no
 * per-tenant index, which would outgrow the trimmed stream.
 */
final class RedisPurgeLog implements PurgeLog {
  static final String STREAM = "purges";
  static final String SEQ = "purge:seq";
  static final String TRIMMED = "purge:trimmed";
  /** Entries read per XRANGE page when erasing a tenant's entries. */
  static final int ERASE_PAGE = 1000;
  private static final LuaScript APPEND = new LuaScript("""
      -- KEYS: 1 seq counter, 2 stream; ARGV: 1 record json
      local seq = redis.call('INCR', KEYS[1])
      redis.call('XADD', KEYS[2], seq .. '-0', 'r', ARGV[1])
      return seq
      """);
  private static final LuaScript TRIM = new LuaScript("""
      -- KEYS: 1 stream, 2 trimmed-through, 3 seq counter; ARGV: 1 entries to keep
      local removed = redis.call('XTRIM', KEYS[1], 'MAXLEN', ARGV[1])
      if removed > 0 then
        local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
        local through
        if #first == 0 then
          through = tonumber(redis.call('GET', KEYS[3]) or '0')
        else
          through = tonumber(string.match(first[1][1], '^(%d+)')) - 1
        end
        local current = tonumber(redis.call('GET', KEYS[2]) or '0')
        if through > current then
          redis.call('SET', KEYS[2], through)
        end
      end
      return removed
      """);
  private final RedisStore store;

  RedisPurgeLog(RedisStore store) {
    this.store = store;
  }

  @Override
  public Future<PurgeRecord> append(PurgeRecord record) {
    PurgeRecord unnumbered = record.withSeq(0);
    return store.eval(APPEND, List.of(store.key(SEQ), store.key(STREAM)),
        List.of(Json.encode(unnumbered))).map(r -> record.withSeq(r.toLong()));
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
        .map(RedisPurgeLog::decodeEntries);
  }

  private static List<PurgeRecord> decodeEntries(Response entries) {
    List<PurgeRecord> out = new ArrayList<>();
    for (Response entry : entries) {
      String id = entry.get(0).toString();
      long seq = Long.parseLong(id.substring(0, id.indexOf('-')));
      Response fields = entry.get(1);
      String json = fields.isMap() ? fields.get("r").toString() : fields.get(1).toString();
      out.add(RedisStore.decodePurge(json, seq));
    }
    return out;
  }

  @Override
  public Future<Long> lastSeq() {
    return store.send(cmd(Command.GET, store.key(SEQ))).map(r -> r == null ? 0L : r.toLong());
  }

  @Override
  public Future<Long> trim(long keepNewest) {
    if (keepNewest < 1) {
      return Future.failedFuture(new IllegalArgumentException("keepNewest must be at least 1: " + keepNewest));
    }
    return store.eval(TRIM, List.of(store.key(STREAM), store.key(TRIMMED), store.key(SEQ)),
        List.of(Long.toString(keepNewest))).map(Response::toLong);
  }

  @Override
  public Future<Long> trimmedThrough() {
    return store.send(cmd(Command.GET, store.key(TRIMMED))).map(r -> r == null ? 0L : r.toLong());
  }

  /** XDELs the tenant's entries from the stream, found by reading it page by page. */
  Future<Void> eraseTenantEntries(String tenant) {
    return eraseFrom(tenant, 0);
  }

  private Future<Void> eraseFrom(String tenant, long afterSeq) {
    return readAfter(afterSeq, ERASE_PAGE).compose(page -> {
      if (page.isEmpty()) {
        return Future.succeededFuture();
      }
      List<Object> args = new ArrayList<>();
      args.add(store.key(STREAM));
      for (PurgeRecord r : page) {
        if (r.tenant().equals(tenant)) {
          args.add(r.seq() + "-0");
        }
      }
      Future<Void> deleted = args.size() == 1 ? Future.succeededFuture()
          : store.send(cmd(Command.XDEL, args.toArray())).mapEmpty();
      long last = page.get(page.size() - 1).seq();
      return deleted.compose(v -> page.size() < ERASE_PAGE ? Future.succeededFuture() : eraseFrom(tenant, last));
    });
  }
}
