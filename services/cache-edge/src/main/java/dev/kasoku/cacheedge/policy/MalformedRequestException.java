package dev.kasoku.cacheedge.policy;

/**
 * A request the edge refuses to key or forward (bad request-target, bad Host). The engine answers
 * {@link #status()} (400 or 414) without contacting the origin. No stack trace: this is input
 * validation on the hot path, not a bug.
 */
public final class MalformedRequestException extends RuntimeException {
  private final int status;

  public MalformedRequestException(int status, String reason) {
    super(reason, null, false, false);
    this.status = status;
  }

  /** The HTTP status to answer with. */
  public int status() {
    return status;
  }

  /** Short reason, safe to log and to put in Cache-Status {@code detail}. */
  public String reason() {
    return getMessage();
  }
}
