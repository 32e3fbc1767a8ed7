package dev.kasoku.common.store.redis;

import static dev.kasoku.common.store.redis.RedisStore.cmd;
import static dev.kasoku.common.store.redis.RedisStore.hash;

import dev.kasoku.common.model.Ids;
import dev.kasoku.common.store.StatsStore;
import dev.kasoku.common.store.impl.StatsBuckets;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Series in hashes, one per tenant, site, resolution and chunk of time:
 * {@code <root>:t:<tenant>:stats:<site>:<resolution>:<chunk-start>} with fields
 * {@code <bucket-start>:<counter>}. A chunk holds a few hundred buckets ({@link #chunkSeconds}), so a
 * dashboard's range is a few pipelined HGETALLs; each chunk key expires (EXPIREAT) at its end plus
 * the resolution's retention, so a bucket is kept at least its retention and at most one chunk
 * longer. {@code <root>:t:<tenant>:stats-sites} lists the sites with series.
 *
 * <p>A fold (of one batch, or of several merged: {@link StatsStore#foldAll}) is one Lua script: it
 * checks {@code <root>:stats-folded:<batch-id>} of every batch; if none exists it claims them all
 * ({@code SET EX}) and applies the HINCRBYs of every delta at every resolution, in the same atomic
 * step; if any exists (a resend, a batch another metrics instance folded) it returns those ids and
 * changes nothing. The script touches several tenants' keys, which a single Redis server (the store
 * Kasoku runs against) executes atomically.
 */
final class RedisStats implements StatsStore {
  private static final LuaScript FOLD = new LuaScript("""
      -- KEYS: 1..ids the folded-id keys, then per delta: one hash per resolution (4), the sites set
      -- ARGV: 1 folded ttl, 2 number of ids, 3 number of deltas, then per delta: site, sites expire-at,
      --       per resolution: bucket, expire-at; then n, then n counter/value pairs
      local ids = tonumber(ARGV[2])
      local before = {}
      for i = 1, ids do
        if redis.call('EXISTS', KEYS[i]) == 1 then
          before[#before + 1] = i
        end
      end
      if #before > 0 then
        return before
      end
      for i = 1, ids do
        redis.call('SET', KEYS[i], '1', 'EX', ARGV[1])
      end
      local k, a = ids + 1, 4
      for d = 1, tonumber(ARGV[3]) do
        local site, sitesExpire = ARGV[a], ARGV[a + 1]
        a = a + 2
        local hashes = {}
        for r = 1, 4 do
          hashes[r] = {KEYS[k], ARGV[a], ARGV[a + 1]}
          k, a = k + 1, a + 2
        end
        local sites = KEYS[k]
        k = k + 1
        local n = tonumber(ARGV[a])
        a = a + 1
        for i = 1, n do
          for r = 1, 4 do
            redis.call('HINCRBY', hashes[r][1], hashes[r][2] .. ':' .. ARGV[a], ARGV[a + 1])
          end
          a = a + 2
        end
        for r = 1, 4 do
          redis.call('EXPIREAT', hashes[r][1], hashes[r][3])
        end
        redis.call('SADD', sites, site)
        redis.call('EXPIREAT', sites, sitesExpire)
      end
      return {}
      """);
  private final RedisStore store;

  RedisStats(RedisStore store) {
    this.store = store;
  }

  /** The span of one hash: a few hundred buckets of the resolution. */
  static long chunkSeconds(Resolution r) {
    return switch (r) {
      case SECOND -> 300;
      case MINUTE -> 6 * 3_600;
      case HOUR -> 7 * 86_400;
      case DAY -> 60 * 86_400;
    };
  }

  private String chunkKey(String tenant, String site, Resolution r, long chunkStart) {
    return store.tenantKey(tenant, "stats:" + site + ":" + r.code() + ":" + chunkStart);
  }

  private String sitesKey(String tenant) {
    return store.tenantKey(tenant, "stats-sites");
  }

  @Override
  public Future<List<String>> foldAll(List<String> batchIds, List<Timed> deltas) {
    if (batchIds.isEmpty()) {
      return Future.failedFuture(new IllegalArgumentException("no batch id"));
    }
    List<String> keys = new ArrayList<>();
    List<String> args = new ArrayList<>();
    batchIds.forEach(id -> keys.add(store.key("stats-folded:" + id)));
    args.add(Long.toString(FOLDED_RETENTION.toSeconds()));
    args.add(Integer.toString(batchIds.size()));
    args.add(Integer.toString(deltas.size()));
    for (Timed t : deltas) {
      Delta d = t.delta();
      Instant at = t.at();
      Ids.requireValid(d.site());
      args.add(d.site());
      args.add(Long.toString(at.getEpochSecond() + Resolution.DAY.retention().toSeconds()));
      for (Resolution r : Resolution.values()) {
        long bucket = r.bucketOf(at);
        long chunk = Math.floorDiv(bucket, chunkSeconds(r)) * chunkSeconds(r);
        keys.add(chunkKey(d.tenant(), d.site(), r, chunk));
        args.add(Long.toString(bucket));
        args.add(Long.toString(chunk + chunkSeconds(r) + r.retention().toSeconds()));
      }
      keys.add(sitesKey(d.tenant()));
      args.add(Integer.toString(d.counters().size()));
      d.counters().forEach((name, value) -> {
        args.add(name);
        args.add(Long.toString(value));
      });
    }
    return store.eval(FOLD, keys, args).map(r -> {
      List<String> before = new ArrayList<>();
      if (r != null) {
        for (int i = 0; i < r.size(); i++) {
          before.add(batchIds.get(r.get(i).toInteger() - 1));
        }
      }
      return before;
    });
  }

  @Override
  public Future<Range> range(String tenant, String site, Resolution resolution, Instant from, Instant to,
                             int stepSeconds) {
    StatsBuckets acc;
    try {
      acc = StatsBuckets.forRange(resolution, from, to, stepSeconds);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    Future<List<String>> sites = site != null ? Future.succeededFuture(List.of(Ids.requireValid(site))) : sites(tenant);
    long span = chunkSeconds(resolution);
    long firstChunk = Math.floorDiv(acc.firstBucket(resolution), span) * span;
    long lastChunk = Math.floorDiv(acc.endSec() - 1, span) * span;
    return sites.compose(names -> {
      List<Request> reads = new ArrayList<>();
      for (String s : names) {
        for (long c = firstChunk; c <= lastChunk; c += span) {
          reads.add(cmd(Command.HGETALL, chunkKey(tenant, s, resolution, c)));
        }
      }
      return reads.isEmpty() ? Future.succeededFuture(List.of()) : store.batch(reads);
    }).map(replies -> {
      replies.forEach(r -> hash(r).forEach((field, value) -> {
        int colon = field.indexOf(':');
        acc.add(Long.parseLong(field.substring(0, colon)), field.substring(colon + 1), Long.parseLong(value));
      }));
      return acc.result();
    });
  }

  @Override
  public Future<List<String>> sites(String tenant) {
    return store.send(cmd(Command.SMEMBERS, sitesKey(tenant))).map(RedisStore::strings);
  }
}
