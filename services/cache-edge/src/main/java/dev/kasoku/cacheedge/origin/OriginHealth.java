package dev.kasoku.cacheedge.origin;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Passive health of origins, shared by every edge verticle of the process: an origin that fails to
 * connect (or answers 5xx) {@link #FAILURE_THRESHOLD} times in a row is marked down for
 * {@link #downForMs} and traffic shifts to the site's other origins; the first success clears it.
 * When every origin of a site is down the least recently failed one is still tried (a guess is
 * better than a certain error).
 *
 * <p>It also remembers which origins have already been reported for sending an invalid response
 * ({@link #firstInvalidResponse}), so a broken origin is logged once, not once per request.
 */
public final class OriginHealth {
  /** Consecutive failures that mark an origin down. */
  public static final int FAILURE_THRESHOLD = 3;

  private final Clock clock;
  private final long downForMs;
  private final Map<String, State> states = new ConcurrentHashMap<>();
  private final java.util.Set<String> reportedInvalid = ConcurrentHashMap.newKeySet();
  /** Bound on the remembered origins; past it the memory starts over (and each is logged once more). */
  static final int MAX_REPORTED = 10_000;

  private static final class State {
    volatile int failures;
    volatile long downUntil;
  }

  public OriginHealth(Clock clock, long downForMs) {
    this.clock = clock;
    this.downForMs = downForMs;
  }

  public boolean isUp(Origin o) {
    State s = states.get(o.id());
    return s == null || s.downUntil <= clock.millis();
  }

  /** Records an origin's answer: a 5xx counts as a failure, anything else as a success. */
  public void answered(Origin o, int status) {
    if (status >= 500) {
      failure(o);
    } else {
      success(o);
    }
  }

  public void success(Origin o) {
    State s = states.get(o.id());
    if (s != null) {
      states.remove(o.id());
    }
  }

  public void failure(Origin o) {
    State s = states.computeIfAbsent(o.id(), k -> new State());
    synchronized (s) {
      s.failures++;
      if (s.failures >= FAILURE_THRESHOLD) {
        s.downUntil = clock.millis() + downForMs;
        s.failures = 0;
      }
    }
  }

  /** True the first time an origin is seen sending an invalid response (the caller logs it then). */
  public boolean firstInvalidResponse(Origin o) {
    if (reportedInvalid.size() >= MAX_REPORTED) {
      reportedInvalid.clear();
    }
    return reportedInvalid.add(o.id());
  }

  /**
   * A weighted random choice among the healthy origins, skipping {@code exclude} (an origin that
   * just failed this request); null when the list offers nothing else.
   */
  public Origin choose(List<Origin> origins, Origin exclude) {
    int total = 0;
    for (Origin o : origins) {
      if (o != exclude && isUp(o)) {
        total += o.weight();
      }
    }
    if (total == 0) {
      Origin best = null;
      long bestUntil = Long.MAX_VALUE;
      for (Origin o : origins) {
        State s = states.get(o.id());
        long until = s == null ? 0 : s.downUntil;
        if (o != exclude && until < bestUntil) {
          best = o;
          bestUntil = until;
        }
      }
      return best;
    }
    int pick = total == 1 ? 0 : ThreadLocalRandom.current().nextInt(total);
    for (Origin o : origins) {
      if (o != exclude && isUp(o)) {
        pick -= o.weight();
        if (pick < 0) {
          return o;
        }
      }
    }
    return null;
  }
}
