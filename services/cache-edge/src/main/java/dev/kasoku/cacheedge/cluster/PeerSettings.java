package dev.kasoku.cacheedge.cluster;

import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.security.SecretKeys;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * The cluster-aware edge's tunables, validated once. Defaults are named constants.
 *
 * @param host address the peer listener binds and announces (the cluster host: the pod IP in
 *     Kubernetes, never the public edge address)
 * @param port peer port (KASOKU_PEER_PORT); 0: a free port, announced as bound
 * @param heartbeat how often the edge records itself in the edge table and reads it back
 * @param lease how long a record keeps an edge live without another
 * @param connectTimeout budget for connecting to an owner before it is skipped
 * @param idleTimeout longest wait for an owner's head, and between two body reads
 * @param maxSkew largest accepted clock difference of a signed peer request (and its replay window)
 * @param masterSecret yields {@code KASOKU_SECRET_KEY}'s bytes; may do file I/O (dev mode), so it is
 *     called off the event loop, once
 * @param peerFill KASOKU_EDGE_PEER_FILL: misses for keys another edge owns go through that owner, and
 *     this edge fills its peers' misses for its own keys; off, the edge only answers peers from storage
 *     and fills its own misses from the origin
 */
public record PeerSettings(String host, int port, Duration heartbeat, Duration lease, Duration connectTimeout,
                           Duration idleTimeout, Duration maxSkew, Callable<byte[]> masterSecret, boolean peerFill) {
  public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(1);
  public static final Duration DEFAULT_LEASE = Duration.ofSeconds(5);
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofMillis(50);
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(5);
  public static final Duration DEFAULT_MAX_SKEW = Duration.ofSeconds(5);

  /** Peer fill on. */
  public PeerSettings(String host, int port, Duration heartbeat, Duration lease, Duration connectTimeout,
                      Duration idleTimeout, Duration maxSkew, Callable<byte[]> masterSecret) {
    this(host, port, heartbeat, lease, connectTimeout, idleTimeout, maxSkew, masterSecret, true);
  }

  public PeerSettings {
    Objects.requireNonNull(host, "host");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("KASOKU_PEER_PORT must be a port, got " + port);
    }
    if (lease.compareTo(heartbeat) <= 0) {
      throw new IllegalArgumentException("the edge lease must outlast the heartbeat");
    }
    Objects.requireNonNull(connectTimeout, "connectTimeout");
    Objects.requireNonNull(idleTimeout, "idleTimeout");
    Objects.requireNonNull(maxSkew, "maxSkew");
    Objects.requireNonNull(masterSecret, "masterSecret");
  }

  /**
   * The settings of a clustered process (KASOKU_CLUSTER=true): the peer listener on the cluster host
   * and KASOKU_PEER_PORT. Empty for a process that is not clustered: a single edge has no peer, and
   * a port nobody needs stays closed.
   */
  public static Optional<PeerSettings> from(KasokuConfig c) {
    if (!c.cluster().enabled()) {
      return Optional.empty();
    }
    return Optional.of(new PeerSettings(c.cluster().host(), c.peerPort(), DEFAULT_HEARTBEAT, DEFAULT_LEASE,
        DEFAULT_CONNECT_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_SKEW, () -> SecretKeys.master(c), c.edgePeerFill()));
  }

  /** On loopback, a free port, the default timings, the given master secret (tests, tools). */
  public static PeerSettings loopback(byte[] master) {
    byte[] copy = master.clone();
    return new PeerSettings("127.0.0.1", 0, DEFAULT_HEARTBEAT, DEFAULT_LEASE, DEFAULT_CONNECT_TIMEOUT,
        DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_SKEW, () -> copy.clone());
  }

  public PeerSettings withTimings(Duration heartbeat, Duration lease) {
    return new PeerSettings(host, port, heartbeat, lease, connectTimeout, idleTimeout, maxSkew, masterSecret, peerFill);
  }

  public PeerSettings withConnectTimeout(Duration budget) {
    return new PeerSettings(host, port, heartbeat, lease, budget, idleTimeout, maxSkew, masterSecret, peerFill);
  }

  public PeerSettings withPeerFill(boolean on) {
    return new PeerSettings(host, port, heartbeat, lease, connectTimeout, idleTimeout, maxSkew, masterSecret, on);
  }
}
