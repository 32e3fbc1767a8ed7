package dev.kasoku.cacheedge.cluster;

/**
 * The peer port's HTTP protocol, shared by {@link PeerServer} and {@link HttpPeerClient}.
 *
 * <p>Request: {@code GET} or {@code HEAD} {@value #OBJECT_PATH}{@code ?key=<primary cache key,
 * percent-encoded>}, the client's request header fields (for the owner's Vary selection) and the
 * {@link PeerAuth} credentials. Answer:
 * <ul>
 *   <li>the owner holds the object: the stored status and header fields, {@code Age} (the owner's
 *       current age of the copy, so the age is carried across the hop), a {@code Content-Length} and the
 *       body, streamed from the owner's storage; plus {@value #RESULT}{@code : hit}, {@value #STATE}
 *       ({@code fresh}, {@code stale-while-revalidate} or {@code stale}), {@value #AGE_MS},
 *       {@value #TTL_MS}, {@value #STORED_AT} (epoch ms) and {@value #TAGS} (space-separated
 *       Surrogate-Key tags, when any);</li>
 *   <li>the owner does not hold it (or holds a stale copy) and fills it from the origin for the
 *       requester (a GET, peer fill on): the origin's status and fields, {@value #RESULT}{@code :
 *       fill}, {@value #AGE_MS} 0, {@value #TTL_MS} (0 when the owner does not store it),
 *       {@value #STORED_AT}, {@value #TAGS}, and the body as the origin sends it;</li>
 *   <li>the owner does not hold it and does not fill (a HEAD, peer fill off, or its fill collapsed
 *       into one that did not store): {@code 404} with {@value #RESULT}{@code : miss} and no body.
 *       The header, not the status, tells a miss from a stored 404;</li>
 *   <li>credentials missing or malformed: {@code 401}; wrong, outside the clock-skew bound, or
 *       replayed: {@code 403}; another path: {@code 404}; another method: {@code 405} (all
 *       problem+json, none with {@value #RESULT}).</li>
 * </ul>
 * Every answer names the answering node in {@value #OWNER}.
 */
public final class PeerProtocol {
  private PeerProtocol() {}

  public static final String OBJECT_PATH = "/peer/v1/object";
  public static final String KEY_PARAM = "key";
  public static final String RESULT = "Kasoku-Peer-Result";
  public static final String OWNER = "Kasoku-Peer-Owner";
  public static final String STATE = "Kasoku-Peer-State";
  public static final String AGE_MS = "Kasoku-Peer-Age-Ms";
  public static final String TTL_MS = "Kasoku-Peer-Ttl-Ms";
  public static final String STORED_AT = "Kasoku-Peer-Stored-At";
  public static final String TAGS = "Kasoku-Peer-Tags";
  public static final String HIT = "hit";
  public static final String MISS = "miss";
  /** The owner did not hold the object and is filling it from the origin for the requester. */
  public static final String FILL = "fill";
  /** Every header of this protocol starts with it; none is forwarded as a client header. */
  static final String PREFIX = "kasoku-peer-";

  static String state(PeerResponse.State s) {
    return switch (s) {
      case FRESH -> "fresh";
      case STALE_WHILE_REVALIDATE -> "stale-while-revalidate";
      case STALE -> "stale";
    };
  }

  static PeerResponse.State state(String s) {
    return switch (s == null ? "" : s) {
      case "fresh" -> PeerResponse.State.FRESH;
      case "stale-while-revalidate" -> PeerResponse.State.STALE_WHILE_REVALIDATE;
      case "stale" -> PeerResponse.State.STALE;
      default -> throw new IllegalArgumentException("unknown " + STATE + ": " + s);
    };
  }
}
