package dev.kasoku.cacheedge.origin;

import io.vertx.core.VertxException;
import java.net.ConnectException;
import java.util.concurrent.TimeoutException;

/** Why an origin could not be used; the synth step turns the kind into 502 or 504. */
public final class OriginException extends VertxException {
  /** The failure kinds, with the status and the short text of the answer the client sees. */
  public enum Kind {
    /** The SSRF guard refused every address of the origin: no connection was made. */
    FORBIDDEN_ADDRESS(502, "origin address not allowed"),
    /** DNS gave no address. */
    UNRESOLVED(502, "origin unreachable"),
    /** Connection refused or reset before a response. */
    CONNECT(502, "origin unreachable"),
    /** No response (or no body data) within the timeout. */
    TIMEOUT(504, "origin timeout"),
    /** The connection broke while the response was being read. */
    BROKEN(502, "origin unreachable"),
    /**
     * The origin answered something that is not a valid HTTP/1.1 response head (a bare CR or LF
     * in a field, a bad status line...): it was reached, so "unreachable" would mislead.
     */
    INVALID_RESPONSE(502, "invalid origin response");

    public final int status;
    /** The synthetic answer's text. */
    public final String text;

    Kind(int status, String text) {
      this.status = status;
      this.text = text;
    }
  }

  private final Kind kind;
  private final boolean unsent;

  public OriginException(Kind kind, String message) {
    this(kind, message, false);
  }

  /**
   * @param unsent true when no byte of the request reached the origin (no connection could be made):
   *     the request may then be sent to another origin without risk of running it twice
   */
  public OriginException(Kind kind, String message, boolean unsent) {
    super(message, true);
    this.kind = kind;
    this.unsent = unsent;
  }

  public Kind kind() {
    return kind;
  }

  /** True when the origin never saw the request (the connection failed): safe to send elsewhere. */
  public boolean unsent() {
    return unsent;
  }

  /** Classifies any failure from the HTTP client. */
  public static OriginException of(Throwable t) {
    if (t instanceof OriginException oe) {
      return oe;
    }
    String name = t.getClass().getName();
    if (t instanceof TimeoutException || name.contains("Timeout")) {
      return new OriginException(Kind.TIMEOUT, String.valueOf(t.getMessage()));
    }
    if (t instanceof ConnectException || name.contains("Connect")) {
      return new OriginException(Kind.CONNECT, String.valueOf(t.getMessage()));
    }
    return new OriginException(Kind.BROKEN, t.getClass().getSimpleName() + ": " + t.getMessage());
  }
}
