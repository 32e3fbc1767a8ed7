package dev.kasoku.common.store;

import dev.kasoku.common.model.EdgeMember;
import io.vertx.core.Future;
import java.util.List;

/**
 * The cluster's table of edges: who is an edge, where its peer listener answers, and whether it is
 * alive. Every edge records itself here periodically and reads the whole table back, so every edge
 * derives the same member list (and so the same owner of a cache key) from one shared source
 * instead of from bus messages it may or may not have received.
 *
 * <p>Liveness is a lease: a member counts as live until its {@link EdgeMember#expiresAt}, judged
 * on the store's clock; an edge that stops recording itself (killed, partitioned from the store)
 * falls out of the table when its lease runs out, one that stops cleanly removes itself at once.
 * The table is platform data (no tenant's) and is not durable across a store restart: an edge
 * records itself again within one heartbeat.
 */
public interface EdgeMemberStore {

  /**
   * Records the member, or refreshes it (address and lease replaced), and drops members whose lease
   * has run out, so the table does not grow with every edge that ever ran.
   */
  Future<Void> record(EdgeMember member);

  /** The members whose lease has not run out, sorted by node id. */
  Future<List<EdgeMember>> live();

  /** Removes the member at once (a clean stop); nothing happens when it is not there. */
  Future<Void> remove(String node);
}
