package dev.kasoku.common.store.embedded;

import dev.kasoku.common.model.Ids;
import dev.kasoku.common.store.StatsStore;
import dev.kasoku.common.store.impl.StatsBuckets;
import io.vertx.core.Future;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.h2.mvstore.Cursor;
import org.h2.mvstore.MVMap;

/**
 * {@code t:<tenant>:stats}: key {@code %012d bucket-start|site|counter} → sum. Bucket first, so a
 * time range of every site is one contiguous key range; old buckets are a prefix of the map and are
 * swept cheaply.
 */
final class EmbeddedStats implements StatsStore {
  static final String SERIES = "stats";
  private final EmbeddedStore db;

  EmbeddedStats(EmbeddedStore db) {
    this.db = db;
  }

  private static String bucketKey(long bucket) {
    return String.format("%012d", bucket);
  }

  @Override
  public Future<Void> increment(String tenant, String site, Instant at, Map<String, Long> counters) {
    Ids.requireValid(tenant);
    Ids.requireValid(site);
    String prefix = bucketKey(StatsBuckets.bucketOf(at)) + "|" + site + "|";
    Map<String, Long> copy = Map.copyOf(counters);
    return db.write(() -> {
      MVMap<String, Long> m = db.map(EmbeddedStore.tenantMap(tenant, SERIES));
      copy.forEach((name, delta) -> {
        Long v = m.get(prefix + name);
        m.put(prefix + name, v == null ? delta : v + delta);
      });
      return null;
    });
  }

  @Override
  public Future<Map<String, long[]>> range(String tenant, String site, Instant from, Instant to, int stepSeconds,
                                           List<String> counters) {
    Ids.requireValid(tenant);
    StatsBuckets acc;
    try {
      acc = StatsBuckets.forRange(from, to, stepSeconds, counters);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    return db.read(() -> {
      MVMap<String, Long> m = db.existing(EmbeddedStore.tenantMap(tenant, SERIES));
      if (m == null) {
        return acc.result();
      }
      for (Cursor<String, Long> c = m.cursor(bucketKey(acc.firstBucket())); c.hasNext(); ) {
        String[] parts = c.next().split("\\|", 3);
        long bucket = Long.parseLong(parts[0]);
        if (bucket >= acc.endSec()) {
          break;
        }
        if (site == null || site.equals(parts[1])) {
          acc.add(bucket, parts[2], c.getValue());
        }
      }
      return acc.result();
    });
  }

  /** Removes buckets that start before {@code cutoffSec} in every tenant (store thread). */
  void sweepOlderThan(long cutoffSec) {
    String cutoff = bucketKey(Math.max(0, cutoffSec));
    for (String tenant : db.tenantsWithMaps()) {
      MVMap<String, Long> m = db.existing(EmbeddedStore.tenantMap(tenant, SERIES));
      if (m == null) {
        continue;
      }
      List<String> old = new ArrayList<>();
      for (Cursor<String, Long> c = m.cursor(null); c.hasNext(); ) {
        String k = c.next();
        if (k.compareTo(cutoff) >= 0) {
          break;
        }
        old.add(k);
      }
      old.forEach(m::remove);
    }
  }
}
