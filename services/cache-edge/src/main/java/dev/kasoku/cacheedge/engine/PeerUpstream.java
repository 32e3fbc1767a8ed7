package dev.kasoku.cacheedge.engine;

import dev.kasoku.cacheedge.cluster.PeerException;
import dev.kasoku.cacheedge.cluster.PeerRequest;
import dev.kasoku.cacheedge.cluster.PeerResponse;
import dev.kasoku.cacheedge.origin.OriginResponse;
import dev.kasoku.cacheedge.purge.PurgeGuard;
import dev.kasoku.cacheedge.storage.Selection;
import dev.kasoku.common.model.EdgeMember;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import java.lang.System.Logger.Level;

/**
 * A {@link Fill}'s request sent to the key's owner edge instead of the origin (peer fill): the owner
 * answers from its storage or fills from the origin for us, collapsed with every other request for
 * the key in the cluster, and its answer is treated by the fill as an origin's.
 *
 * <p><b>A peer never fails the request.</b> The owner not connecting within the connect budget,
 * timing out before its head, refusing our credentials or answering nonsense marks it suspect
 * ({@link PeerRouting}) and the request goes to the origin itself ({@link OriginUpstream}), as it
 * does when the owner has nothing ("not here"). Only a body that breaks off after its head came
 * through fails, as an origin's would.
 *
 * <p><b>Purges.</b> An owner may not have applied a purge this edge applied (its purge agent is a
 * bus message or a log read behind). An answer whose copy was fetched from the origin before a
 * matching purge applied here ({@link PeerRouting#purgedSince}, within
 * {@link PeerRouting#DEFAULT_PURGE_HORIZON}) is dropped before a byte of it is used, and the request
 * goes to the origin: the client never sees it and it is never mirrored here. A soft purge is
 * treated like a hard one (this edge holds no copy of its own to revalidate, unless it is
 * revalidating one, in which case the origin request is conditional already).
 *
 * <p><b>Storage.</b> An owner's answer is stored here only when the key is hot here (mirroring) or
 * when it replaces a copy held here already (a revalidation); an answer from the origin after a
 * fallback is stored as without a cluster.
 */
final class PeerUpstream implements Fill.Upstream {
  private static final System.Logger LOG = System.getLogger(PeerUpstream.class.getName());

  private final PeerRouting routing;
  private final EdgeMember owner;
  private final PeerRequest request;
  private final OriginUpstream origin;
  private final boolean hot;
  private final boolean revalidating;
  private final CopyOf copyOf;
  private PeerResponse.Found found;

  /** The object a peer answer is a copy of, as the purge selections see it. */
  record CopyOf(String tenant, String host, String path) {}

  PeerUpstream(PeerRouting routing, EdgeMember owner, PeerRequest request, OriginUpstream origin, boolean hot,
               boolean revalidating, CopyOf copyOf) {
    this.copyOf = copyOf;
    this.routing = routing;
    this.owner = owner;
    this.request = request;
    this.origin = origin;
    this.hot = hot;
    this.revalidating = revalidating;
  }

  @Override
  public Future<OriginResponse> send() {
    long sentAtMs = routing.nowMillis();
    long started = routing.started();
    return routing.client().fetch(owner, request).transform(ar -> {
      if (ar.failed()) {
        PeerException.Kind kind = ar.cause() instanceof PeerException p ? p.kind() : PeerException.Kind.PROTOCOL;
        routing.suspect(owner, kind, started);
        LOG.log(Level.DEBUG, "owner {0} skipped, asking the origin: {1}", owner.node(), ar.cause().getMessage());
        return origin.send();
      }
      if (!(ar.result() instanceof PeerResponse.Found f)) {
        routing.count(PeerRouting.Outcome.NOT_HERE, started);
        return origin.send();
      }
      // the copy's origin request left the owner no earlier than its age before we sent ours (the age
      // covers the owner's holding time and the origin's Age; no clock of the owner's involved): a
      // matching purge applied here since then, which the owner has not applied yet, disqualifies it,
      // hard or soft, and the origin is asked, as by an edge holding a purged copy
      PurgeGuard.Verdict purged = routing.purgedSince(new Selection.Copy(copyOf.tenant(), request.primaryKey(),
          copyOf.host(), copyOf.path(), f.tags()), sentAtMs - Math.max(0, f.ageMillis()));
      if (purged != PurgeGuard.Verdict.KEEP) {
        f.abort().run();
        routing.count(PeerRouting.Outcome.PURGED, started);
        LOG.log(Level.DEBUG, "the copy of owner {0} predates a purge applied here, asking the origin", owner.node());
        return origin.send();
      }
      found = f;
      routing.count(f.filled() ? PeerRouting.Outcome.FILL : PeerRouting.Outcome.HIT, started);
      MultiMap head = f.headers();
      if (!f.tags().isEmpty()) {
        head.set("Surrogate-Key", String.join(" ", f.tags())); // the tags a mirrored copy is purged by
      }
      return Future.succeededFuture(OriginResponse.streamed(f.status(), head, f.body(), f.abort()));
    });
  }

  @Override
  public void answered(int status) {
    if (found == null) {
      origin.answered(status); // origin health hears only of the origin's answers
    }
  }

  @Override
  public boolean mayStore() {
    if (found == null) {
      return true;
    }
    boolean store = hot || revalidating;
    if (store) {
      routing.mirrored();
    }
    return store;
  }

  /** The owner's answer, or null when the origin answered (fallback). */
  PeerResponse.Found peerAnswer() {
    return found;
  }

  EdgeMember owner() {
    return owner;
  }
}
