package dev.kasoku.cacheedge.engine;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Request collapsing across every edge verticle of the process: for each key being filled from the
 * origin there is one {@link Flight}; the first request to miss leads it, later ones join as waiters.
 *
 * <p>The leader lands the flight with an {@link Outcome} as soon as it knows it: {@code STORED} once
 * the object is in storage (waiters look it up again), {@code FETCH_YOURSELF} as soon as the response
 * turns out uncacheable, too big, or failed (waiters go to the origin on their own, so an
 * uncacheable URL is never serialised behind one request). Each waiter's callback runs on its own
 * context (event loop), and a waiter that gives up (its bounded wait elapsed) simply leaves.
 */
public final class Collapser {
  /** How a flight ended, for its waiters. */
  public enum Outcome { STORED, FETCH_YOURSELF }

  private final Map<String, Flight> flights = new ConcurrentHashMap<>();
  private final LongAdder collapsed = new LongAdder();

  /** One fill in progress. */
  public final class Flight {
    private final String key;
    private final List<Waiter> waiters = new ArrayList<>(2);
    private Outcome outcome;

    private Flight(String key) {
      this.key = key;
    }

    /**
     * Waits for the flight to land, at most {@code waitMs}: {@code then} runs on {@code ctx} (the
     * caller's event loop) with the outcome, or with null once the wait elapsed first (the waiter
     * then has left). False when the flight landed already: nothing runs, the caller looks up again.
     */
    public boolean await(Context ctx, long waitMs, Handler<Outcome> then) {
      long[] timer = {-1};
      Waiter w = join(ctx, outcome -> {
        ctx.owner().cancelTimer(timer[0]);
        then.handle(outcome);
      });
      if (w == null) {
        return false;
      }
      timer[0] = ctx.owner().setTimer(waitMs, t -> {
        if (w.abandon()) {
          then.handle(null);
        }
      });
      return true;
    }

    /** Joins as a waiter; null when the flight already landed. */
    private synchronized Waiter join(Context ctx, Handler<Outcome> handler) {
      if (outcome != null) {
        return null;
      }
      Waiter w = new Waiter(this, ctx, handler);
      waiters.add(w);
      collapsed.increment();
      return w;
    }

    /** Lands the flight: removes it and wakes every waiter. Idempotent. */
    public void land(Outcome result) {
      List<Waiter> toWake;
      synchronized (this) {
        if (outcome != null) {
          return;
        }
        outcome = result;
        toWake = new ArrayList<>(waiters);
        waiters.clear();
      }
      flights.remove(key, this);
      for (Waiter w : toWake) {
        w.ctx.runOnContext(v -> w.fire(result));
      }
    }

    private synchronized boolean leave(Waiter w) {
      return waiters.remove(w);
    }
  }

  /** A request waiting on a flight. */
  private static final class Waiter {
    private final Flight flight;
    private final Context ctx;
    private final Handler<Outcome> handler;
    private boolean done;

    private Waiter(Flight flight, Context ctx, Handler<Outcome> handler) {
      this.flight = flight;
      this.ctx = ctx;
      this.handler = handler;
    }

    private void fire(Outcome o) {
      if (!done) {
        done = true;
        handler.handle(o);
      }
    }

    /** Gives up waiting (on the waiter's context); true when the flight had not landed yet. */
    boolean abandon() {
      if (done) {
        return false;
      }
      done = true;
      flight.leave(this);
      return true;
    }
  }

  /** The flight for the key: {@code lead[0]} tells whether the caller created it (leads it). */
  public Flight enter(String key, boolean[] lead) {
    Flight mine = new Flight(key);
    Flight existing = flights.putIfAbsent(key, mine);
    lead[0] = existing == null;
    return existing == null ? mine : existing;
  }

  /** Starts a flight only when none is running (background revalidation); null when one is. */
  public Flight tryLead(String key) {
    Flight mine = new Flight(key);
    return flights.putIfAbsent(key, mine) == null ? mine : null;
  }

  /** Requests that joined a flight as waiters instead of going to the origin themselves (since start). */
  public long collapsed() {
    return collapsed.sum();
  }
}
