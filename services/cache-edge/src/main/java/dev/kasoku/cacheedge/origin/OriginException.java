package dev.kasoku.cacheedge.origin;

import io.vertx.core.VertxException;
import java.net.ConnectException;
import java.util.concurrent.TimeoutException;

/** Why an origin could not be used; the synth step turns the kind into 502 or 504. */
public final class OriginException extends VertxException {
  /** The failure kinds, with the status the client sees. */
  public enum Kind {
    /** The SSRF guard refused every address of the origin: no connection was made. */
    FORBIDDEN_ADDRESS(502),
    /** DNS gave no address. */
    UNRESOLVED(502),
    /** Connection refused or reset before a response. */
    CONNECT(502),
    /** No response (or no body data) within the timeout. */
    TIMEOUT(504),
    /** The connection broke while the response was being read. */
    BROKEN(502);

    public final int status;

    Kind(int status) {
      this.status = status;
    }
  }

  private final Kind kind;

  public OriginException(Kind kind, String message) {
    super(message, true);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
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
