package dev.kasoku.cacheedge.cluster;

import dev.kasoku.common.model.EdgeMember;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One edge's view of the cluster at one moment: the live members as the store's edge table listed
 * them, and the owner of each cache key among them ({@link Rendezvous}). Immutable; {@link
 * Membership} replaces it whenever it reads the table again, so a request works on one consistent
 * view from start to end.
 *
 * <p>Every edge that read the same table derives the same view, hence the same owners. Views of
 * different edges can differ for about one heartbeat after a change (each reads the table on its
 * own schedule, or on the change's bus announcement); during that time two edges may disagree on a
 * key's owner, which costs at most an extra origin fetch, never an error.
 */
public final class ClusterView {
  private final String self;
  private final Map<String, EdgeMember> members;
  private final Rendezvous owners;

  public ClusterView(String self, List<EdgeMember> live) {
    this.self = self;
    Map<String, EdgeMember> byNode = new LinkedHashMap<>();
    live.stream().sorted(java.util.Comparator.comparing(EdgeMember::node)).forEach(m -> byNode.put(m.node(), m));
    this.members = java.util.Collections.unmodifiableMap(byNode);
    this.owners = new Rendezvous(List.copyOf(byNode.keySet()));
  }

  /** This edge's node id. */
  public String self() {
    return self;
  }

  /** The live members, sorted by node id. */
  public List<EdgeMember> members() {
    return List.copyOf(members.values());
  }

  /** The live members' node ids, sorted. */
  public List<String> nodes() {
    return owners.nodes();
  }

  /**
   * The owner of a primary cache key (the key without its Vary part, so every variant of a URL has
   * one owner); null when the table lists no member at all (the store was never reached).
   */
  public EdgeMember owner(String primaryKey) {
    String node = owners.owner(primaryKey);
    return node == null ? null : members.get(node);
  }

  /** True when this edge owns the key, or when there is nobody to ask (no members known). */
  public boolean ownsLocally(String primaryKey) {
    EdgeMember owner = owner(primaryKey);
    return owner == null || owner.node().equals(self);
  }

  /** Clustered in earnest: at least one other live edge. */
  public boolean hasPeers() {
    return members.size() > (members.containsKey(self) ? 1 : 0);
  }

  @Override
  public String toString() {
    return "ClusterView[" + self + " sees " + members.keySet() + "]";
  }
}
