package dev.kasoku.cacheedge.cluster;

import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages.EdgeMemberChanged;
import dev.kasoku.common.bus.Messages.MemberChange;
import dev.kasoku.common.model.EdgeMember;
import dev.kasoku.common.store.EdgeMemberStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * This edge's membership of the cluster, and its current {@link ClusterView}.
 *
 * <h2>How</h2>
 * Every {@code heartbeat} the edge records itself in the store's edge table ({@link EdgeMemberStore}:
 * node id, peer address, a lease of {@code lease}) and reads the table back; the view is what the
 * table lists. When it first manages to record itself it publishes {@code JOINED} on
 * {@code kasoku.edge.members}, and when it stops cleanly it removes itself and publishes
 * {@code LEFT}; an edge hearing either reads the table at once, so a change reaches every view in
 * one store round trip instead of one heartbeat. A lost message costs nothing but that delay, which
 * is why the store, not the bus, is the source of the list: the bus is known to lose subscriptions
 * after partitions and pod churn, and a heartbeat message (like the purge service's
 * {@code NodeHeartbeat}) could only give each receiver its own idea of who is alive.
 *
 * <h2>Liveness</h2>
 * A killed edge drops out when its lease runs out ({@code lease} after its last record: 5 s by
 * default against a 1 s heartbeat, so two lost heartbeats in a row do not drop a live edge). A
 * requesting edge does not wait for that: a peer that fails is skipped at once for the request (the
 * origin is asked), which is the fill's business.
 *
 * <h2>Store outages</h2>
 * A failed record or read keeps the last view (the members were alive a moment ago, and a peer
 * that is really gone fails fast and is skipped); it is logged once per outage. A store that is
 * down at start does not keep the edge down: the view is empty (every key is served as without a
 * cluster) until the table is read.
 *
 * <p>Timers and callbacks run on the context of the verticle that started it; {@link #view} may be
 * read from any thread.
 */
public final class Membership {
  private static final System.Logger LOG = System.getLogger(Membership.class.getName());

  private final Vertx vertx;
  private final EdgeMemberStore store;
  private final Clock clock;
  private final String node;
  private final String peerAddress;
  private final Duration heartbeat;
  private final Duration lease;
  private volatile ClusterView view;
  private final AtomicLong reads = new AtomicLong();
  /** Guarded by this: the sequence of the read the view comes from. */
  private long applied;
  private volatile boolean joined;
  private volatile boolean failing;
  private long timer = -1;
  private MessageConsumer<EdgeMemberChanged> consumer;

  public Membership(Vertx vertx, EdgeMemberStore store, Clock clock, String node, String peerAddress,
                    Duration heartbeat, Duration lease) {
    if (lease.compareTo(heartbeat) <= 0) {
      throw new IllegalArgumentException("the lease (" + lease + ") must outlast the heartbeat (" + heartbeat + ")");
    }
    this.vertx = vertx;
    this.store = store;
    this.clock = clock;
    this.node = node;
    this.peerAddress = peerAddress;
    this.heartbeat = heartbeat;
    this.lease = lease;
    this.view = new ClusterView(node, List.of());
  }

  /**
   * Subscribes to membership announcements, records this edge and reads the table; completes when
   * that is done, successfully even if the store failed (the next heartbeat tries again).
   */
  public Future<Void> start() {
    consumer = Addresses.EDGE_MEMBERS.consumer(vertx.eventBus(), m -> {
      if (!m.body().node().equals(node)) {
        refresh();
      }
    });
    timer = vertx.setPeriodic(heartbeat.toMillis(), id -> beat());
    return consumer.completion().compose(v -> beat());
  }

  /** Removes this edge from the table and announces it; the others stop asking it at once. */
  public Future<Void> stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
    Future<Void> unsubscribed = consumer == null ? Future.succeededFuture() : consumer.unregister();
    Future<Void> removed = store.remove(node)
        .onSuccess(v -> Addresses.EDGE_MEMBERS.publish(vertx.eventBus(),
            new EdgeMemberChanged(node, peerAddress, MemberChange.LEFT)))
        .recover(t -> {
          LOG.log(Level.WARNING, "edge {0} could not remove itself from the edge table ({1}); its lease runs out "
              + "within {2} s", node, t.getMessage(), lease.toSeconds());
          return Future.succeededFuture();
        });
    return Future.join(unsubscribed, removed).mapEmpty();
  }

  /** The current view (never null). */
  public ClusterView view() {
    return view;
  }

  /** True while the edge table cannot be reached (since the last failed record or read). */
  boolean failing() {
    return failing;
  }

  /** This edge's entry as it records it. */
  public EdgeMember self() {
    Instant now = clock.instant();
    return new EdgeMember(node, peerAddress, now, now.plus(lease));
  }

  private Future<Void> beat() {
    return store.record(self())
        .onSuccess(v -> {
          if (!joined) {
            joined = true;
            Addresses.EDGE_MEMBERS.publish(vertx.eventBus(), new EdgeMemberChanged(node, peerAddress, MemberChange.JOINED));
          }
        })
        .compose(v -> refresh())
        .recover(t -> {
          outage(t);
          return Future.succeededFuture();
        });
  }

  /** Reads the table; a read that completes after a later one is dropped. */
  private Future<Void> refresh() {
    long seq = reads.incrementAndGet();
    return store.live().map(live -> {
      apply(seq, live);
      if (failing) {
        failing = false;
        LOG.log(Level.INFO, "edge {0}: edge table reachable again", node);
      }
      return (Void) null;
    }).onFailure(this::outage);
  }

  private synchronized void apply(long seq, List<EdgeMember> live) {
    if (seq > applied) {
      applied = seq;
      ClusterView next = new ClusterView(node, live);
      if (!next.nodes().equals(view.nodes())) {
        LOG.log(Level.INFO, "edge {0}: cluster members now {1}", node, next.nodes());
      }
      view = next;
    }
  }

  private void outage(Throwable t) {
    if (!failing) {
      failing = true;
      LOG.log(Level.WARNING, "edge {0}: edge table not reachable ({1}); keeping the last view {2}", node,
          t.getMessage(), view.nodes());
    }
  }
}
