package dev.kasoku.cacheedge.cluster;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.time.Instant;

/** What the owner of a key answered: its stored object, or "not here" (the requester goes to the origin). */
public sealed interface PeerResponse permits PeerResponse.Found, PeerResponse.NotHere {

  /** The owner's node id. */
  String owner();

  /** How fresh the owner's copy was when its head left the owner (stale copies are answered too). */
  enum State {
    /** Within its freshness lifetime. */
    FRESH,
    /** Past it, within stale-while-revalidate: may be served while someone revalidates. */
    STALE_WHILE_REVALIDATE,
    /** Past it (or soft-purged, or no-cache): must be revalidated before it is served. */
    STALE
  }

  /**
   * The owner had the object.
   *
   * @param status the stored response's status
   * @param headers the stored response's header fields (no framing fields) with {@code Age} set to the
   *     owner's current age of the copy, so the age is carried across the hop
   * @param ageMillis the copy's current age at the owner when the head left it, in ms (the precise
   *     value behind {@code Age}; a requester that stores the copy adds its own time since)
   * @param ttlMillis remaining freshness at that moment, negative once stale
   * @param storedAt when the owner received the response from the origin (its clock)
   * @param state the owner's verdict on the copy
   * @param tags the object's Surrogate-Key tags, so a mirrored copy can be purged by tag
   * @param body the body, paused: the caller pipes or resumes it (and must consume or reset it)
   * @param filled true when the owner did not hold the object and filled it from the origin for this
   *     request (its answer streams as the origin sends it)
   * @param abort abandons the exchange (the body then fails)
   */
  record Found(String owner, int status, MultiMap headers, long ageMillis, long ttlMillis, Instant storedAt,
               State state, java.util.List<String> tags, ReadStream<Buffer> body, boolean filled, Runnable abort)
      implements PeerResponse {}

  /** The owner does not hold the object (or not the variant the request selects). */
  record NotHere(String owner) implements PeerResponse {}
}
