package dev.kasoku.metrics.impl;

import dev.kasoku.common.bus.Messages.CounterDeltas;
import dev.kasoku.common.bus.Messages.CounterRow;
import dev.kasoku.common.model.Ids;
import dev.kasoku.common.store.StatsStore;
import io.vertx.core.Future;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns an edge's {@link CounterDeltas} into one {@link StatsStore#fold}: the batch's
 * (stream, seq) is the fold's id, so the store applies it once however often it arrives and whichever
 * metrics instance receives it. Latency sketch buckets become counters named
 * {@link SeriesFields#EDGE_SKETCH}{@code <index>} and {@link SeriesFields#ORIGIN_SKETCH}{@code <index>}
 * beside the plain counters, so the store's additions merge sketches too.
 *
 * <p>A row that names no valid tenant or site (an edge of a newer or broken version) is left out
 * and logged; the rest of the batch is folded, so one bad row cannot make an edge resend forever.
 */
public final class DeltaFolder {
  private static final System.Logger LOG = System.getLogger(DeltaFolder.class.getName());
  private final StatsStore stats;

  public DeltaFolder(StatsStore stats) {
    this.stats = stats;
  }

  /** Folds the batch; true if this call applied it, false if it had been folded before. */
  public Future<Boolean> fold(CounterDeltas batch) {
    List<StatsStore.Delta> deltas = new ArrayList<>(batch.rows().size());
    for (CounterRow row : batch.rows()) {
      if (!Ids.isValid(row.tenant()) || !Ids.isValid(row.site())) {
        LOG.log(Level.WARNING, "counter row of batch {0} left out: invalid tenant or site", batch.batchId());
        continue;
      }
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
      deltas.add(new StatsStore.Delta(row.tenant(), row.site(), counters));
    }
    return stats.fold(batch.batchId(), batch.windowStart(), deltas);
  }
}
