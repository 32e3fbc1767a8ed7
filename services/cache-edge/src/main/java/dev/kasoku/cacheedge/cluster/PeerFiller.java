package dev.kasoku.cacheedge.cluster;

import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;

/**
 * The owner's half of a peer fill, provided by the edge engine: a peer's GET for a key this edge
 * owns is answered from storage or, missing or stale there, by this edge's ordinary fill from the
 * origin, collapsed with every other request for the key (the edge's own clients' and other
 * peers'), the answer streamed to the peer while it is stored.
 *
 * <p>The peer listener runs on {@link #context()}, the event loop of one of the edge's server
 * instances, so the fill uses that instance's origin connections and never crosses threads.
 */
public interface PeerFiller {

  /** The context the peer listener is bound on. */
  Context context();

  /**
   * Answers an authenticated peer GET of {@code primaryKey} on {@code req}'s response in the
   * {@link PeerProtocol} format ({@link PeerAnswers}), with {@code clientHeaders} (the requester's
   * client fields, without this protocol's own) selecting the variant and forwarded to the origin.
   */
  void serve(HttpServerRequest req, String primaryKey, MultiMap clientHeaders);
}
