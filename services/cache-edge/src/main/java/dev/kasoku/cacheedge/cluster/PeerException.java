package dev.kasoku.cacheedge.cluster;

/** A peer request that failed; the requester skips the owner for this request (its {@link #kind} says why). */
public final class PeerException extends RuntimeException {
  /** Why a peer request failed. */
  public enum Kind {
    /** No connection within the connect budget (down, partitioned, wrong address). */
    UNREACHABLE,
    /** Connected, but no answer (or the body stalled) within the request budget. */
    TIMEOUT,
    /** The owner refused our credentials (401/403): different secret keys, or clocks apart. */
    REFUSED,
    /** The owner answered something this edge does not understand (another version?). */
    PROTOCOL
  }

  private final Kind kind;
  private final String owner;

  public PeerException(Kind kind, String owner, String message, Throwable cause) {
    super(kind + " from peer " + owner + ": " + message, cause, false, false);
    this.kind = kind;
    this.owner = owner;
  }

  public Kind kind() {
    return kind;
  }

  public String owner() {
    return owner;
  }
}
