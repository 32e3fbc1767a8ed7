package dev.kasoku.cacheedge.purge;

import dev.kasoku.cacheedge.storage.Selection;
import dev.kasoku.cacheedge.storage.StoredObject;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;

/**
 * The "no resurrection" rule: an origin fetch that started before a purge and finishes after it must
 * not be stored as fresh.
 *
 * <p>The guard remembers the purges this edge applied over the last {@link #DEFAULT_RETENTION}, each
 * with the time it was applied. When the engine stores an object, {@link GuardedStorage} asks
 * {@link #purgedSince} whether a purge matching that object was applied at or after the moment the
 * object's origin request was sent ({@code Freshness#requestTimeMillis}); if a hard purge matches,
 * the object is not stored at all (the next request fetches anew); if only soft purges match, it
 * is stored marked stale, so it is revalidated with the origin before being served as fresh. A fetch
 * older than the retention is treated as hard-purged when anything was forgotten since it started
 * (conservative: at worst one extra origin fetch).
 *
 * <p>The same records answer for copies another edge answers with ({@link #checkCopy}, peer fill):
 * an owner that has not applied a purge yet must not hand this edge a copy the purge removed here.
 *
 * <p>The check costs a walk over the purges applied during the fetch: usually none. Thread-safe:
 * purges are recorded on the purge agent's context, objects stored from any event loop.
 */
public final class PurgeGuard {
  public static final Duration DEFAULT_RETENTION = Duration.ofMinutes(10);
  public static final int MAX_REMEMBERED = 100_000;

  /** What a stored object must become because of purges applied during its fetch. */
  public enum Verdict {
    /** No matching purge: store it as it is. */
    KEEP,
    /** Only soft purges matched: store it marked stale (revalidated before it is served fresh). */
    STALE,
    /** A hard purge matched: do not store it at all. */
    DROP
  }

  /**
   * One applied purge: what it selected, or null {@code selections} when the whole cache, every
   * tenant's, was dropped.
   */
  record Applied(long atMs, List<Selection> selections, boolean soft) {
    boolean matches(Selection.Subject o) {
      if (selections == null) {
        return true;
      }
      for (Selection s : selections) {
        if (s.matches(o)) {
          return true;
        }
      }
      return false;
    }
  }

  private final Clock clock;
  private final Duration retention;
  private final ArrayDeque<Applied> recent = new ArrayDeque<>();
  /** Purges applied at or before this instant have been forgotten. */
  private long forgottenUpToMs = Long.MIN_VALUE;

  public PurgeGuard(Clock clock) {
    this(clock, DEFAULT_RETENTION);
  }

  public PurgeGuard(Clock clock, Duration retention) {
    this.clock = clock;
    this.retention = retention;
  }

  /** Records a purge of what {@code selections} select as applied now; call before the storage is invalidated. */
  synchronized void applied(List<Selection> selections, boolean soft) {
    remember(List.copyOf(selections), soft);
  }

  private void remember(List<Selection> selections, boolean soft) {
    long now = clock.millis();
    recent.addLast(new Applied(now, selections, soft));
    long cutoff = now - retention.toMillis();
    while (!recent.isEmpty() && (recent.peekFirst().atMs() < cutoff || recent.size() > MAX_REMEMBERED)) {
      forgottenUpToMs = Math.max(forgottenUpToMs, recent.pollFirst().atMs());
    }
  }

  /** Records that the whole cache, every tenant's, was dropped now; call before dropping it. */
  synchronized void appliedToEverything() {
    remember(null, false);
  }

  /**
   * What to do with an object about to be stored, given the purges applied since its origin request
   * was sent: {@link Verdict#DROP} when a hard purge matches, {@link Verdict#STALE} when only soft
   * ones do, {@link Verdict#KEEP} otherwise.
   */
  public synchronized Verdict check(StoredObject o) {
    return verdict(o, o.freshness().requestTimeMillis());
  }

  /**
   * What to make of a copy another edge holds and answered with (peer fill), given the purges
   * applied here: {@link Verdict#DROP} when a hard purge matching it was applied at or after
   * {@code fetchedAtMs}, a moment no later than its origin request was sent (this edge's clock; an
   * earlier moment only makes the check stricter), {@link Verdict#STALE} when only soft ones were,
   * {@link Verdict#KEEP} otherwise. Purges applied before {@code notBeforeMs} are not looked at: the
   * other edge is taken to have applied them itself, which bounds the walk to the purges of that window.
   */
  public synchronized Verdict checkCopy(Selection.Copy copy, long fetchedAtMs, long notBeforeMs) {
    return verdict(copy, Math.max(fetchedAtMs, notBeforeMs));
  }

  /** The verdict on {@code o} from the purges applied at or after {@code since}. */
  private Verdict verdict(Selection.Subject o, long since) {
    if (since <= forgottenUpToMs) {
      return Verdict.DROP; // purges of the window were dropped to stay within MAX_REMEMBERED
    }
    Verdict verdict = Verdict.KEEP;
    Iterator<Applied> newestFirst = recent.descendingIterator();
    while (newestFirst.hasNext()) {
      Applied a = newestFirst.next();
      if (a.atMs() < since) {
        break;
      }
      if (a.matches(o)) {
        if (!a.soft()) {
          return Verdict.DROP;
        }
        verdict = Verdict.STALE;
      }
    }
    return verdict;
  }

  /** Now on the clock the purges are recorded by, epoch milliseconds. */
  public long nowMillis() {
    return clock.millis();
  }

  /** How long applied purges are remembered. */
  public Duration retention() {
    return retention;
  }
}
