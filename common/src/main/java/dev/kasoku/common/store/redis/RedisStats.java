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
import java.util.Map;

/**
 * One hash per tenant, site and UTC day: {@code <root>:t:<tenant>:stats:<site>:<day>} with fields
 * {@code <bucket-start>:<counter>} incremented by HINCRBY, expiring {@link StatsBuckets#RETENTION}
 * after its last write; {@code <root>:t:<tenant>:stats-sites} lists the sites that have stats. A day
 * per key keeps a dashboard's range to a few pipelined HGETALLs.
 */
final class RedisStats implements StatsStore {
  private static final long DAY = 86_400;
  private static final LuaScript INCREMENT = new LuaScript("""
      -- KEYS: 1 day hash, 2 sites set; ARGV: 1 bucket, 2 ttl seconds, 3 site, 4.. counter, delta pairs
      for i = 4, #ARGV, 2 do
        redis.call('HINCRBY', KEYS[1], ARGV[1] .. ':' .. ARGV[i], ARGV[i + 1])
      end
      redis.call('EXPIRE', KEYS[1], ARGV[2])
      redis.call('SADD', KEYS[2], ARGV[3])
      redis.call('EXPIRE', KEYS[2], ARGV[2])
      return 1
      """);
  private final RedisStore store;

  RedisStats(RedisStore store) {
    this.store = store;
  }

  private String dayKey(String tenant, String site, long day) {
    return store.tenantKey(tenant, "stats:" + site + ":" + day);
  }

  private String sitesKey(String tenant) {
    return store.tenantKey(tenant, "stats-sites");
  }

  @Override
  public Future<Void> increment(String tenant, String site, Instant at, Map<String, Long> counters) {
    Ids.requireValid(site);
    long bucket = StatsBuckets.bucketOf(at);
    List<String> args = new ArrayList<>();
    args.add(Long.toString(bucket));
    args.add(Long.toString(StatsBuckets.RETENTION.toSeconds()));
    args.add(site);
    counters.forEach((name, delta) -> {
      args.add(name);
      args.add(Long.toString(delta));
    });
    return store.eval(INCREMENT, List.of(dayKey(tenant, site, Math.floorDiv(bucket, DAY)), sitesKey(tenant)), args)
        .mapEmpty();
  }

  @Override
  public Future<Map<String, long[]>> range(String tenant, String site, Instant from, Instant to, int stepSeconds,
                                           List<String> counters) {
    StatsBuckets acc;
    try {
      acc = StatsBuckets.forRange(from, to, stepSeconds, counters);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    Future<List<String>> sites = site != null
        ? Future.succeededFuture(List.of(Ids.requireValid(site)))
        : store.send(cmd(Command.SMEMBERS, sitesKey(tenant))).map(RedisStore::strings);
    long firstDay = Math.floorDiv(acc.firstBucket(), DAY);
    long lastDay = Math.floorDiv(acc.endSec() - 1, DAY);
    return sites.compose(names -> {
      List<Request> reads = new ArrayList<>();
      for (String s : names) {
        for (long d = firstDay; d <= lastDay; d++) {
          reads.add(cmd(Command.HGETALL, dayKey(tenant, s, d)));
        }
      }
      return store.batch(reads);
    }).map(replies -> {
      replies.forEach(r -> hash(r).forEach((field, value) -> {
        int colon = field.indexOf(':');
        acc.add(Long.parseLong(field.substring(0, colon)), field.substring(colon + 1), Long.parseLong(value));
      }));
      return acc.result();
    });
  }

}
