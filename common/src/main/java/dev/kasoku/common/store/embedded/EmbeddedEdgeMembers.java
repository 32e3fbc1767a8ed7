package dev.kasoku.common.store.embedded;

import dev.kasoku.common.model.EdgeMember;
import dev.kasoku.common.store.EdgeMemberStore;
import io.vertx.core.Future;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The edge table of the embedded store, in memory only: leases last seconds and the data directory
 * belongs to one process, so writing them to the file (and fsyncing every heartbeat) would keep
 * nothing worth keeping. Every edge of the process (several in tests) shares this one table.
 */
final class EmbeddedEdgeMembers implements EdgeMemberStore {
  private final Clock clock;
  private final ConcurrentMap<String, EdgeMember> members = new ConcurrentHashMap<>();

  EmbeddedEdgeMembers(Clock clock) {
    this.clock = clock;
  }

  @Override
  public Future<Void> record(EdgeMember member) {
    java.time.Instant now = clock.instant();
    members.values().removeIf(m -> !m.liveAt(now));
    members.put(member.node(), member);
    return Future.succeededFuture();
  }

  @Override
  public Future<List<EdgeMember>> live() {
    java.time.Instant now = clock.instant();
    return Future.succeededFuture(members.values().stream().filter(m -> m.liveAt(now))
        .sorted(Comparator.comparing(EdgeMember::node)).toList());
  }

  @Override
  public Future<Void> remove(String node) {
    members.remove(node);
    return Future.succeededFuture();
  }
}
