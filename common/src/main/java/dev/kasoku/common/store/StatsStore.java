package dev.kasoku.common.store;

import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Per-tenant, per-site counter time series, kept at every {@link Resolution} at once.
 *
 * <p>A batch of deltas is folded in one atomic step that first claims the batch's id: a batch whose
 * id was already folded (by this or another metrics instance) changes nothing, so a resend after a
 * lost acknowledgement counts once. Each delta is added to its bucket at every resolution in that
 * same step, so the resolutions never disagree and no roll-up job can fall behind. Counters are
 * plain sums; latency sketches are stored as counters too (one per sketch bucket), so a sum of
 * buckets is the sketch of their merge.
 *
 * <p>Buckets expire at the end of their resolution's {@link Resolution#retention()} (Redis: key
 * expiry; embedded: the store's sweep), and all of a tenant's series live in its namespace, so
 * {@link Store#eraseTenant} removes them.
 */
public interface StatsStore {
  /** How long a folded batch id is remembered; an edge resends within seconds, never this late. */
  Duration FOLDED_RETENTION = Duration.ofHours(1);

  /** The stored resolutions, each with its bucket length and how long its buckets are kept. */
  enum Resolution {
    SECOND("s", 1, Duration.ofMinutes(15)),
    MINUTE("m", 60, Duration.ofDays(8)),
    HOUR("h", 3_600, Duration.ofDays(400)),
    DAY("d", 86_400, Duration.ofDays(3 * 366));

    private final String code;
    private final int seconds;
    private final Duration retention;

    Resolution(String code, int seconds, Duration retention) {
      this.code = code;
      this.seconds = seconds;
      this.retention = retention;
    }

    /** One letter naming the resolution in stored keys. */
    public String code() {
      return code;
    }

    /** Bucket length in seconds. */
    public int seconds() {
      return seconds;
    }

    /** Buckets are kept at least this long after their start. */
    public Duration retention() {
      return retention;
    }

    /** Start (epoch seconds) of the bucket containing {@code at}. */
    public long bucketOf(Instant at) {
      return Math.floorDiv(at.getEpochSecond(), seconds) * seconds;
    }
  }

  /** The increments of one tenant's site. Counter values are non-negative. */
  record Delta(String tenant, String site, Map<String, Long> counters) {
    public Delta {
      Objects.requireNonNull(tenant, "tenant");
      Objects.requireNonNull(site, "site");
      counters = Map.copyOf(counters);
    }
  }

  /**
   * Sums over a range: {@code counters} maps each counter that has data to one sum per step
   * (0 where it has none), {@code present[i]} says whether step {@code i} held any bucket at all
   * (false: a gap, not a zero).
   */
  record Range(boolean[] present, Map<String, long[]> counters) {
    public int steps() {
      return present.length;
    }

    /** The sums of one counter (all zero when it has no data in the range). */
    public long[] of(String counter) {
      long[] v = counters.get(counter);
      return v != null ? v : new long[present.length];
    }
  }

  /** A delta and the second it is counted in (the start of its batch's window). */
  record Timed(Instant at, Delta delta) {
    public Timed {
      Objects.requireNonNull(at, "at");
      Objects.requireNonNull(delta, "delta");
    }
  }

  /**
   * Folds a batch once: adds every delta to the bucket containing {@code at} at every resolution,
   * unless {@code batchId} was folded before. Atomic: either the id is claimed and every increment
   * applied, or nothing changes.
   *
   * @return true if this call applied the batch, false if it had been folded already
   */
  default Future<Boolean> fold(String batchId, Instant at, List<Delta> deltas) {
    return foldAll(List.of(batchId), deltas.stream().map(d -> new Timed(at, d)).toList()).map(List::isEmpty);
  }

  /**
   * Folds several batches as one, their deltas already merged by the caller: in one atomic step,
   * checks every id; if none was folded before, claims them all and adds every delta at every
   * resolution. If any was folded before, nothing changes (no id claimed, no increment) and the
   * already-folded ids are returned, so the caller can merge again without those batches and retry.
   *
   * @param batchIds distinct ids, at least one
   * @return the ids of {@code batchIds} folded before (nothing applied), or empty (all applied)
   */
  Future<List<String>> foldAll(List<String> batchIds, List<Timed> deltas);

  /**
   * Sums of every counter per step over [from, to) at one resolution: bucket {@code b} (its start)
   * with {@code from <= b < to} is added to step {@code (b - from) / stepSeconds}. {@code site} null
   * means every site of the tenant.
   *
   * @param stepSeconds a positive multiple of the resolution's bucket length
   */
  Future<Range> range(String tenant, String site, Resolution resolution, Instant from, Instant to, int stepSeconds);

  /** The sites of the tenant that have (or recently had) series. */
  Future<List<String>> sites(String tenant);
}
