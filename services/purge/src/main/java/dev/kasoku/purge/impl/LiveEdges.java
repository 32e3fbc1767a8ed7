package dev.kasoku.purge.impl;

import dev.kasoku.common.bus.Messages.NodeHeartbeat;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The edges this purge instance believes alive: every edge publishes a {@link NodeHeartbeat} each
 * second on the bus; an edge unheard of for {@code expiry} is no longer expected to ack.
 *
 * <p>Why heartbeats and not Hazelcast membership: membership says a JVM is in the cluster, not that
 * it runs the cache-edge role nor that its bus consumer works; and Hazelcast drops a dead member
 * only after its own heartbeat timeout. A heartbeat is sent by the edge's purge component itself,
 * so "live" means "its purge agent was running a moment ago". Each purge instance keeps its own
 * table (heartbeats are published to all), so no shared state is needed.
 */
final class LiveEdges {
  static final String EDGE_ROLE = "cache-edge";

  private final Clock clock;
  private final Duration expiry;
  private final Map<String, Long> lastSeenMillis = new ConcurrentHashMap<>();

  LiveEdges(Clock clock, Duration expiry) {
    this.clock = clock;
    this.expiry = expiry;
  }

  void heard(NodeHeartbeat beat) {
    if (beat.roles().contains(EDGE_ROLE)) {
      lastSeenMillis.put(beat.node(), clock.millis());
    }
  }

  /** Names of the edges heard within the expiry, sorted; forgets the others. */
  Set<String> live() {
    long cutoff = clock.millis() - expiry.toMillis();
    lastSeenMillis.values().removeIf(seen -> seen < cutoff);
    return new TreeSet<>(lastSeenMillis.keySet());
  }
}
