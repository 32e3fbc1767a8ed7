package dev.kasoku.metrics.impl;

import dev.kasoku.common.bus.Messages.CounterDeltas;
import dev.kasoku.common.bus.Messages.CounterRow;
import dev.kasoku.common.model.Ids;
import dev.kasoku.common.store.StatsStore;
import dev.kasoku.common.store.TenantStore;
import io.vertx.core.Future;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Turns an edge's {@link CounterDeltas} into one {@link StatsStore#fold}: the batch's
 * (stream, seq) is the fold's id, so the store applies it once however often it arrives and whichever
 * metrics instance receives it. Latency sketch buckets become counters named
 * {@link SeriesFields#EDGE_SKETCH}{@code <index>} and {@link SeriesFields#ORIGIN_SKETCH}{@code <index>}
 * beside the plain counters, so the store's additions merge sketches too.
 *
 * <p><b>Only live tenants.</b> An edge may still hold (and resend, for minutes) counters of a
 * tenant that has just been deleted; folding them would write its series again after the erasure.
 * Rows of a tenant the store does not know are therefore left out. Known tenants are remembered for
 * {@link #KNOWN_FOR} so the check costs a store read per tenant per minute, not per batch;
 * {@link #forget} drops a deleted tenant at once.
 *
 * <p>A row that names no valid tenant or site (an edge of a newer or broken version) is left out
 * and logged; the rest of the batch is folded, so one bad row cannot make an edge resend forever.
 */
public final class DeltaFolder {
  /** How long a tenant found in the store is believed to exist without asking again. */
  public static final Duration KNOWN_FOR = Duration.ofMinutes(1);
  private static final System.Logger LOG = System.getLogger(DeltaFolder.class.getName());
  private final StatsStore stats;
  private final TenantStore tenants;
  private final Clock clock;
  private final Map<String, Long> knownUntil = new ConcurrentHashMap<>();

  public DeltaFolder(StatsStore stats, TenantStore tenants, Clock clock) {
    this.stats = stats;
    this.tenants = tenants;
    this.clock = clock;
  }

  /** Folds the batch; true if this call applied it, false if it had been folded before. */
  public Future<Boolean> fold(CounterDeltas batch) {
    return foldAll(List.of(batch)).map(applied -> applied.get(0));
  }

  /**
   * Folds several batches in one store call: rows of the same (tenant, site, second) are summed
   * across batches first, so the store adds each counter once per merged row instead of once per
   * batch. Every batch id is checked and claimed in the same atomic step; if the store finds some
   * folded before (a resend, a batch another instance folded), nothing was applied, and the rest are
   * merged again without them and folded. A batch id given twice is folded once (the second is a
   * duplicate).
   *
   * @return per batch, in order: true if this call applied it, false if it had been folded before
   */
  public Future<List<Boolean>> foldAll(List<CounterDeltas> batches) {
    Map<String, CounterDeltas> unique = new LinkedHashMap<>();
    Set<String> named = new LinkedHashSet<>();
    for (CounterDeltas batch : batches) {
      if (unique.putIfAbsent(batch.batchId(), batch) != null) {
        continue;
      }
      for (CounterRow row : batch.rows()) {
        if (Ids.isValid(row.tenant()) && Ids.isValid(row.site())) {
          named.add(row.tenant());
        } else {
          LOG.log(Level.WARNING, "counter row of batch {0} left out: invalid tenant or site", batch.batchId());
        }
      }
    }
    Map<String, Boolean> applied = new HashMap<>();
    return live(named).compose(live -> attempt(new ArrayList<>(unique.values()), live, applied)).map(v -> {
      List<Boolean> out = new ArrayList<>(batches.size());
      Set<String> seen = new HashSet<>();
      for (CounterDeltas batch : batches) {
        out.add(seen.add(batch.batchId()) && applied.get(batch.batchId()));
      }
      return out;
    });
  }

  /** Folds the merged rows of {@code remaining}; on ids folded before, drops those and tries again. */
  private Future<Void> attempt(List<CounterDeltas> remaining, Set<String> live, Map<String, Boolean> applied) {
    List<String> ids = remaining.stream().map(CounterDeltas::batchId).toList();
    return stats.foldAll(ids, merge(remaining, live)).compose(before -> {
      if (before.isEmpty()) {
        ids.forEach(id -> applied.put(id, true));
        return Future.succeededFuture();
      }
      Set<String> dropped = new HashSet<>(before);
      dropped.forEach(id -> applied.put(id, false));
      List<CounterDeltas> rest = remaining.stream().filter(b -> !dropped.contains(b.batchId())).toList();
      return rest.isEmpty() ? Future.succeededFuture() : attempt(rest, live, applied);
    });
  }

  /** The rows of the batches of live tenants, summed per (tenant, site, second of the batch's window). */
  private static List<StatsStore.Timed> merge(List<CounterDeltas> batches, Set<String> live) {
    record Key(String tenant, String site, long second) { }
    Map<Key, Map<String, Long>> sums = new LinkedHashMap<>();
    for (CounterDeltas batch : batches) {
      long second = batch.windowStart().getEpochSecond();
      for (CounterRow row : batch.rows()) {
        if (live.contains(row.tenant()) && Ids.isValid(row.site())) {
          Map<String, Long> c = sums.computeIfAbsent(new Key(row.tenant(), row.site(), second), k -> new HashMap<>());
          counters(row).forEach((name, value) -> c.merge(name, value, Long::sum));
        }
      }
    }
    List<StatsStore.Timed> out = new ArrayList<>(sums.size());
    sums.forEach((k, c) -> out.add(new StatsStore.Timed(Instant.ofEpochSecond(k.second()),
        new StatsStore.Delta(k.tenant(), k.site(), c))));
    return out;
  }

  /** Stops believing the tenant exists (it was deleted). */
  public void forget(String tenant) {
    knownUntil.remove(tenant);
  }

  private Future<Set<String>> live(Set<String> named) {
    long now = clock.millis();
    Set<String> live = new LinkedHashSet<>();
    List<String> unknown = new ArrayList<>();
    for (String t : named) {
      Long until = knownUntil.get(t);
      if (until != null && until > now) {
        live.add(t);
      } else {
        unknown.add(t);
      }
    }
    if (unknown.isEmpty()) {
      return Future.succeededFuture(live);
    }
    List<Future<Boolean>> lookups = unknown.stream().map(t -> tenants.getTenant(t).map(o -> o.isPresent())).toList();
    return Future.all(lookups).map(all -> {
      long until = clock.millis() + KNOWN_FOR.toMillis();
      for (int i = 0; i < unknown.size(); i++) {
        if (lookups.get(i).result()) {
          knownUntil.put(unknown.get(i), until);
          live.add(unknown.get(i));
        } else {
          LOG.log(Level.DEBUG, "counters of unknown tenant {0} left out (deleted?)", unknown.get(i));
        }
      }
      return live;
    });
  }

  /** The row's non-zero stored counters and sketch buckets, under their stored names. */
  private static Map<String, Long> counters(CounterRow row) {
    Map<String, Long> counters = new HashMap<>();
    row.counters().forEach((name, value) -> {
      if (value > 0 && SeriesFields.isStoredCounter(name)) {
        counters.put(name, value);
      }
    });
    row.edgeMs().forEach((index, count) -> {
      if (count > 0) {
        counters.put(SeriesFields.EDGE_SKETCH + index, count);
      }
    });
    row.originMs().forEach((index, count) -> {
      if (count > 0) {
        counters.put(SeriesFields.ORIGIN_SKETCH + index, count);
      }
    });
    return counters;
  }
}
