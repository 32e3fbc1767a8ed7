package dev.kasoku.cacheedge.cluster;

import dev.kasoku.common.model.EdgeMember;
import io.vertx.core.Future;

/**
 * How an edge asks another edge, the owner of a cache key ({@link ClusterView#owner}), for what it
 * holds. The engine's fill calls this on a miss (or a stale copy) for a key it does not own: a
 * {@link PeerResponse.Found} is streamed to the client; a {@link PeerResponse.NotHere} or a failed
 * Future (a {@link PeerException}: unreachable within the connect budget, refused, timed out) sends
 * the request to the origin as if there were no cluster. A failure is never the client's failure.
 */
public interface PeerClient {

  /** Asks {@code owner} for the object of {@code request}; the Future completes with the response head. */
  Future<PeerResponse> fetch(EdgeMember owner, PeerRequest request);
}
