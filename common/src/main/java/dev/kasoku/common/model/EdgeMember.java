package dev.kasoku.common.model;

import java.time.Instant;
import java.util.Objects;

/**
 * One edge as the cluster's shared index knows it: its node id, the address its authenticated peer
 * listener answers on, and its liveness (when it last said it was alive, and until when that holds).
 *
 * @param node the edge's node id (KASOKU_NODE_ID), unique in the cluster
 * @param peerAddress {@code host:port} of its peer listener on the cluster network
 * @param heartbeatAt when the edge last recorded itself (its clock, UTC)
 * @param expiresAt the member counts as live until then, unless it records itself again
 */
public record EdgeMember(String node, String peerAddress, Instant heartbeatAt, Instant expiresAt) {
  public EdgeMember {
    if (node == null || node.isBlank()) {
      throw new IllegalArgumentException("an edge member needs a node id");
    }
    if (peerAddress == null || peerAddress.lastIndexOf(':') < 1) {
      throw new IllegalArgumentException("peer address of " + node + " must be host:port, got " + peerAddress);
    }
    Objects.requireNonNull(heartbeatAt, "heartbeatAt");
    Objects.requireNonNull(expiresAt, "expiresAt");
  }

  /** True while {@code now} is before the expiry. */
  public boolean liveAt(Instant now) {
    return expiresAt.isAfter(now);
  }

  /** The host part of {@link #peerAddress} (an IPv6 literal keeps its brackets off). */
  public String peerHost() {
    String host = peerAddress.substring(0, peerAddress.lastIndexOf(':'));
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }

  /** The port part of {@link #peerAddress}. */
  public int peerPort() {
    return Integer.parseInt(peerAddress.substring(peerAddress.lastIndexOf(':') + 1));
  }
}
