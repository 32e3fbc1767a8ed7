package dev.kasoku.cacheedge.engine;

/**
 * One client request's part in {@link Collapser request collapsing}: the flight it leads until its
 * fill takes it over, whether it may still wait on another request's flight, and whether it did.
 *
 * <p>A request waits at most twice (a lookup, a wait, a second lookup, a second wait) and never again
 * once a flight it waited on ended without storing the object: it then goes to the origin itself,
 * so an uncacheable URL is never serialised behind other requests. Lives on the request's event loop.
 */
final class Collapsing {
  private final Collapser collapser;
  private Collapser.Flight leading;
  private boolean allowed = true;
  private boolean collapsed;
  private int lookups;

  Collapsing(Collapser collapser) {
    this.collapser = collapser;
  }

  /** Counts a lookup of the request's key (waking from a wait is followed by one). */
  void lookedUp() {
    lookups++;
  }

  /**
   * Enters the key's flight unless this request leads one already or may not wait (any more): the
   * flight another request leads, to wait on; null when this request goes to the origin itself
   * (leading the key's flight when it entered one).
   */
  Collapser.Flight leadOrJoin(String key) {
    if (leading != null || !allowed || lookups > 2) {
      return null;
    }
    boolean[] lead = new boolean[1];
    Collapser.Flight f = collapser.enter(key, lead);
    if (lead[0]) {
      leading = f;
      return null;
    }
    return f;
  }

  /**
   * A flight this request waited on landed ({@code outcome}), or the wait elapsed first (null): true
   * when the object was stored and is to be looked up again.
   */
  boolean landed(Collapser.Outcome outcome) {
    collapsed |= outcome != null;
    if (outcome == Collapser.Outcome.STORED) {
      return true;
    }
    allowed = false;
    return false;
  }

  /** Whether the request waited on another's flight that landed (the Cache-Status says so). */
  boolean collapsed() {
    return collapsed;
  }

  /** The flight this request leads, handed to the fill that will land it; null when none. */
  Collapser.Flight handOver() {
    Collapser.Flight f = leading;
    leading = null;
    return f;
  }

  /** The request ends without a fill: its waiters go to the origin on their own. */
  void abandon() {
    Collapser.Flight f = handOver();
    if (f != null) {
      f.land(Collapser.Outcome.FETCH_YOURSELF);
    }
  }
}
