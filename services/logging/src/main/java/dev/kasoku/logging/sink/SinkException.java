package dev.kasoku.logging.sink;

/**
 * A batch the receiver did not accept. {@link #misconfigured} failures will not heal by retrying
 * (an HTTP 4xx other than 408 and 429, a certificate that does not verify, a forbidden address):
 * the sink's health says so and the batch is retried at a slow pace until the tenant fixes the sink;
 * the others (refused or reset connections, timeouts, 429, 5xx) are retried with backoff. Either way
 * the records stay behind the cursor, up to the lag bound.
 */
final class SinkException extends RuntimeException {
  private final boolean misconfigured;

  SinkException(boolean misconfigured, String message) {
    super(message, null, false, false);
    this.misconfigured = misconfigured;
  }

  static SinkException retry(String message) {
    return new SinkException(false, message);
  }

  static SinkException misconfigured(String message) {
    return new SinkException(true, message);
  }

  /** The innermost cause's message: what a TLS failure really was (untrusted chain, wrong name...). */
  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  boolean misconfigured() {
    return misconfigured;
  }
}
