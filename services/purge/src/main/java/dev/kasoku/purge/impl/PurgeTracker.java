package dev.kasoku.purge.impl;

import dev.kasoku.purge.PurgeSettings;
import dev.kasoku.common.bus.Messages.PurgeAck;
import dev.kasoku.common.bus.Messages.PurgeCommand;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiConsumer;

/**
 * Completion tracking of recent purges, in the memory of each purge instance.
 *
 * <p>Why memory first: every purge instance learns of every purge (commands are published on
 * {@code kasoku.purge}, which purge instances also consume) and of every ack (edges publish their
 * acks), so each instance holds the same table without a store round trip per ack and
 * {@code GET .../purge/{id}} answers on any instance. The purge itself is durable in the purge log
 * before it is acknowledged; what lives here is its progress.
 *
 * <p>So that a status outlives the instances (a restart, a deploy), the instance that accepted a
 * purge hands its settled status to {@code settledOwned} once: when it is done, or when the wait
 * bound passes first (partial), and again if it completes after that. The verticle stores it, and
 * an instance that does not know an id asks the store.
 *
 * <p>Thread-safe: acks arrive on the verticle's context, HTTP requests on the API server's.
 */
final class PurgeTracker {
  private final Clock clock;
  private final PurgeSettings settings;
  private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();
  /** The entries not done yet, by purge-log sequence, for heartbeats' watermarks. */
  private final TreeMap<Long, Entry> waitingBySeq = new TreeMap<>();
  /**
   * Acks of purges not (yet) known here: on the clustered bus an edge's ack can overtake the
   * command another purge instance published. Bounded; applied when the command arrives.
   */
  private final LinkedHashMap<String, List<PurgeAck>> early = new LinkedHashMap<>();
  static final int MAX_EARLY_ACKS = 10_000;

  private final BiConsumer<String, PurgeStatus> settledOwned;

  /**
   * @param settledOwned told (tenant, status) when a purge this instance accepted settles; called
   *     outside the tracker's lock
   */
  PurgeTracker(Clock clock, PurgeSettings settings, BiConsumer<String, PurgeStatus> settledOwned) {
    this.clock = clock;
    this.settings = settings;
    this.settledOwned = settledOwned;
  }

  private static final class Entry {
    final PurgeCommand command;
    final long acceptedMillis;
    final Set<String> expected;
    final Map<String, Long> acks = new TreeMap<>();
    long doneMillis = -1;
    final List<Waiter> waiters = new ArrayList<>(1);
    /** This instance accepted the purge: it reports the settled status. */
    boolean owned;
    boolean reportedPartial;

    Entry(PurgeCommand command, long acceptedMillis, Set<String> expected) {
      this.command = command;
      this.acceptedMillis = acceptedMillis;
      this.expected = new TreeSet<>(expected);
    }
  }

  private record Waiter(Context context, Promise<PurgeStatus> promise) {}

  /** Starts tracking a purge (idempotent: the instance that issued it also receives its publish). */
  void track(PurgeCommand command, Set<String> expected) {
    track(command, expected, false);
  }

  /** Starts tracking a purge this instance accepted (it will report the settled status). */
  void trackOwned(PurgeCommand command, Set<String> expected) {
    track(command, expected, true);
  }

  private void track(PurgeCommand command, Set<String> expected, boolean owned) {
    PurgeStatus settled = null;
    synchronized (this) {
      Entry known = entries.get(command.id());
      if (known != null) {
        known.owned |= owned;
        return;
      }
      evict();
      long accepted = command.issuedAt() != null ? command.issuedAt().toEpochMilli() : clock.millis();
      Entry e = new Entry(command, accepted, expected);
      e.owned = owned;
      entries.put(command.id(), e);
      if (expected.isEmpty()) {
        e.doneMillis = accepted;
      } else if (command.seq() > 0) {
        waitingBySeq.put(command.seq(), e);
      }
      List<PurgeAck> before = early.remove(command.id());
      if (before != null) {
        before.forEach(a -> e.acks.put(a.node(), a.applied()));
        if (e.doneMillis < 0 && e.acks.keySet().containsAll(e.expected)) {
          e.doneMillis = clock.millis();
          waitingBySeq.remove(command.seq());
        }
      }
      if (e.owned && e.doneMillis >= 0) {
        settled = snapshot(e);
      }
    }
    if (settled != null) {
      settledOwned.accept(command.tenant(), settled);
    }
  }

  /** Records an ack; completes waiters when it was the last one expected. Acks of unknown ids are kept a while. */
  void ack(PurgeAck ack) {
    Settled done;
    synchronized (this) {
      Entry e = entries.get(ack.id());
      if (e == null) {
        early.computeIfAbsent(ack.id(), k -> new ArrayList<>(2)).add(ack);
        if (early.size() > MAX_EARLY_ACKS) {
          Iterator<String> oldest = early.keySet().iterator();
          oldest.next();
          oldest.remove();
        }
        return;
      }
      e.acks.put(ack.node(), ack.applied());
      done = settleIfAllAcked(e);
    }
    if (done != null) {
      done.announce();
    }
  }

  /**
   * An edge's heartbeat says it applied every purge up to {@code watermark} in the purge log: each
   * purge still waiting for that edge with a sequence at or below it counts as acked (with 0 objects,
   * since the count travelled in the ack that was lost). Acks are point-to-point facts an edge
   * publishes once; if that publish fails (the instance that accepted the purge dies at that moment,
   * a cluster connection breaks), the next heartbeat makes the ack good within its interval.
   */
  void appliedUpTo(String node, long watermark) {
    List<Settled> done = new ArrayList<>(0);
    synchronized (this) {
      for (Entry e : new ArrayList<>(waitingBySeq.headMap(watermark, true).values())) {
        if (e.expected.contains(node) && !e.acks.containsKey(node)) {
          e.acks.put(node, 0L);
          Settled s = settleIfAllAcked(e);
          if (s != null) {
            done.add(s);
          }
        }
      }
    }
    done.forEach(Settled::announce);
  }

  /** What to tell outside the lock once a purge is done: its waiters, and the owner's store. */
  private final class Settled {
    final List<Waiter> release;
    final PurgeStatus status;
    final boolean owned;
    final String tenant;

    Settled(Entry e) {
      release = new ArrayList<>(e.waiters);
      e.waiters.clear();
      status = snapshot(e);
      owned = e.owned;
      tenant = e.command.tenant();
    }

    void announce() {
      release.forEach(w -> w.context().runOnContext(v -> w.promise().tryComplete(status)));
      if (owned) {
        settledOwned.accept(tenant, status);
      }
    }
  }

  /** Marks the purge done when every expected edge acked; caller holds the lock. */
  private Settled settleIfAllAcked(Entry e) {
    if (e.doneMillis >= 0 || !e.acks.keySet().containsAll(e.expected)) {
      return null;
    }
    e.doneMillis = clock.millis();
    waitingBySeq.remove(e.command.seq());
    return new Settled(e);
  }

  /** The purge's status, empty when unknown or when it belongs to another tenant. */
  synchronized Optional<PurgeStatus> status(String tenant, String id) {
    Entry e = entries.get(id);
    if (e == null || !e.command.tenant().equals(tenant)) {
      return Optional.empty();
    }
    return Optional.of(snapshot(e));
  }

  /**
   * Completes with the status once every expected edge acked, or with the then-current status
   * (partial) after the wait bound; completes on {@code context}.
   */
  Future<PurgeStatus> awaitDone(String id, Context context) {
    Promise<PurgeStatus> promise = Promise.promise();
    synchronized (this) {
      Entry e = entries.get(id);
      if (e == null) {
        return Future.failedFuture(new IllegalStateException("purge " + id + " is not tracked"));
      }
      if (e.doneMillis >= 0) {
        return Future.succeededFuture(snapshot(e));
      }
      e.waiters.add(new Waiter(context, promise));
    }
    long timer = context.owner().setTimer(settings.waitTimeout().toMillis(), t -> {
      PurgeStatus partial = null;
      String tenant = null;
      synchronized (this) {
        Entry e = entries.get(id);
        if (e != null) {
          e.waiters.removeIf(w -> w.promise() == promise);
          PurgeStatus now = snapshot(e, true);
          promise.tryComplete(now);
          if (e.owned && e.doneMillis < 0 && !e.reportedPartial) {
            e.reportedPartial = true;
            partial = now;
            tenant = e.command.tenant();
          }
        }
      }
      if (partial != null) {
        settledOwned.accept(tenant, partial);
      }
    });
    return promise.future().onComplete(r -> context.owner().cancelTimer(timer));
  }

  private PurgeStatus snapshot(Entry e) {
    return snapshot(e, false);
  }

  private PurgeStatus snapshot(Entry e, boolean waitBoundReached) {
    List<String> missing = new ArrayList<>();
    for (String node : e.expected) {
      if (!e.acks.containsKey(node)) {
        missing.add(node);
      }
    }
    String status;
    if (e.doneMillis >= 0) {
      status = PurgeStatus.DONE;
    } else if (waitBoundReached || clock.millis() - e.acceptedMillis >= settings.waitTimeout().toMillis()) {
      status = PurgeStatus.PARTIAL;
    } else {
      status = PurgeStatus.PENDING;
    }
    long applied = e.acks.values().stream().mapToLong(Long::longValue).sum();
    Long took = e.doneMillis >= 0 ? Math.max(0, e.doneMillis - e.acceptedMillis) : null;
    return new PurgeStatus(e.command.id(), status, e.command.scope().name().toLowerCase(java.util.Locale.ROOT),
        e.command.soft(), Instant.ofEpochMilli(e.acceptedMillis), new ArrayList<>(e.expected), e.acks, missing,
        applied, took);
  }

  /** Drops entries past retention, and the oldest beyond the size bound. Caller holds the lock. */
  private void evict() {
    long cutoff = clock.millis() - settings.statusRetention().toMillis();
    Iterator<Entry> it = entries.values().iterator();
    while (it.hasNext()) {
      Entry e = it.next();
      if (e.acceptedMillis >= cutoff && entries.size() < settings.maxTracked()) {
        break;
      }
      e.waiters.forEach(w -> w.context().runOnContext(v -> w.promise().tryComplete(snapshot(e, true))));
      waitingBySeq.remove(e.command.seq(), e);
      it.remove();
    }
  }
}
