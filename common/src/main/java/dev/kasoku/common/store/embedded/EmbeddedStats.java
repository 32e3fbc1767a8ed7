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
 * {@code t:<tenant>:stats}: key {@code <resolution>|%012d bucket-start|site|counter} → sum.
 * Resolution then bucket first, so a time range of every site at one resolution is one contiguous
 * key range and old buckets of a resolution are a prefix of its range, swept cheaply.
 * {@code t:<tenant>:stats-sites} maps each site with series to the second of its last fold.
 * {@code g:stats-folded} maps each folded batch id to the millisecond it was folded, for
 * {@link StatsStore#FOLDED_RETENTION}.
 *
 * <p>A fold (of one batch or of several merged, {@link StatsStore#foldAll}) is one write on the
 * store's single writer thread: the batch id checks, the claims and every increment commit together
 * or not at all, so the id check needs no lock of its own.
 */
final class EmbeddedStats implements StatsStore {
  static final String SERIES = "stats";
  static final String SITES = "stats-sites";
  static final String FOLDED = "g:stats-folded";
  private final EmbeddedStore db;

  EmbeddedStats(EmbeddedStore db) {
    this.db = db;
  }

  private static String bucketKey(Resolution r, long bucket) {
    return r.code() + "|" + String.format("%012d", bucket);
  }

  @Override
  public Future<List<String>> foldAll(List<String> batchIds, List<Timed> deltas) {
    if (batchIds.isEmpty()) {
      return Future.failedFuture(new IllegalArgumentException("no batch id"));
    }
    deltas.forEach(t -> {
      Ids.requireValid(t.delta().tenant());
      Ids.requireValid(t.delta().site());
    });
    List<String> ids = List.copyOf(batchIds);
    List<Timed> copy = List.copyOf(deltas);
    return db.write(() -> {
      MVMap<String, Long> folded = db.map(FOLDED);
      List<String> before = ids.stream().filter(folded::containsKey).toList();
      if (!before.isEmpty()) {
        return before;
      }
      long now = db.clock().millis();
      ids.forEach(id -> folded.put(id, now));
      for (Timed t : copy) {
        Delta d = t.delta();
        MVMap<String, Long> m = db.map(EmbeddedStore.tenantMap(d.tenant(), SERIES));
        for (Resolution r : Resolution.values()) {
          String prefix = bucketKey(r, r.bucketOf(t.at())) + "|" + d.site() + "|";
          d.counters().forEach((name, delta) -> m.merge(prefix + name, delta, Long::sum));
        }
        db.<String, Long>map(EmbeddedStore.tenantMap(d.tenant(), SITES)).merge(d.site(), t.at().getEpochSecond(),
            Math::max);
      }
      return List.<String>of();
    });
  }

  @Override
  public Future<Range> range(String tenant, String site, Resolution resolution, Instant from, Instant to,
                             int stepSeconds) {
    Ids.requireValid(tenant);
    StatsBuckets acc;
    try {
      acc = StatsBuckets.forRange(resolution, from, to, stepSeconds);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    return db.read(() -> {
      MVMap<String, Long> m = db.existing(EmbeddedStore.tenantMap(tenant, SERIES));
      if (m == null) {
        return acc.result();
      }
      String prefix = resolution.code() + "|";
      for (Cursor<String, Long> c = m.cursor(bucketKey(resolution, acc.firstBucket(resolution))); c.hasNext(); ) {
        String key = c.next();
        if (!key.startsWith(prefix)) {
          break;
        }
        String[] parts = key.split("\\|", 4);
        long bucket = Long.parseLong(parts[1]);
        if (bucket >= acc.endSec()) {
          break;
        }
        if (site == null || site.equals(parts[2])) {
          acc.add(bucket, parts[3], c.getValue());
        }
      }
      return acc.result();
    });
  }

  @Override
  public Future<List<String>> sites(String tenant) {
    Ids.requireValid(tenant);
    return db.read(() -> {
      MVMap<String, Long> m = db.existing(EmbeddedStore.tenantMap(tenant, SITES));
      return m == null ? List.of() : List.copyOf(m.keySet());
    });
  }

  /**
   * Removes, in every tenant, the buckets of each resolution that start more than its retention
   * before {@code nowMs}, sites without a fold for the longest retention, and folded batch ids past
   * {@link StatsStore#FOLDED_RETENTION} (store thread).
   */
  void sweep(long nowMs) {
    long nowSec = nowMs / 1000;
    for (String tenant : db.tenantsWithMaps()) {
      MVMap<String, Long> m = db.existing(EmbeddedStore.tenantMap(tenant, SERIES));
      if (m != null) {
        for (Resolution r : Resolution.values()) {
          String cutoff = bucketKey(r, Math.max(0, nowSec - r.retention().toSeconds()));
          List<String> old = new ArrayList<>();
          for (Cursor<String, Long> c = m.cursor(r.code() + "|"); c.hasNext(); ) {
            String k = c.next();
            if (k.compareTo(cutoff) >= 0) {
              break;
            }
            old.add(k);
          }
          old.forEach(m::remove);
        }
      }
      MVMap<String, Long> sites = db.existing(EmbeddedStore.tenantMap(tenant, SITES));
      if (sites != null) {
        long cutoff = nowSec - Resolution.DAY.retention().toSeconds();
        List<String> gone = new ArrayList<>();
        sites.forEach((s, last) -> {
          if (last < cutoff) {
            gone.add(s);
          }
        });
        gone.forEach(sites::remove);
      }
    }
    MVMap<String, Long> folded = db.existing(FOLDED);
    if (folded != null) {
      long cutoff = nowMs - FOLDED_RETENTION.toMillis();
      List<String> old = new ArrayList<>();
      folded.forEach((id, ms) -> {
        if (ms < cutoff) {
          old.add(id);
        }
      });
      old.forEach(folded::remove);
    }
  }
}
