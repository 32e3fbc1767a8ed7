package dev.kasoku.launcher;

/**
 * A start-up failure whose message tells the operator what to do (data directory in use, port
 * taken, store unreachable). Logged as one line; with the cause's stack trace only when
 * {@link #showTrace()} says the cause is a defect rather than the environment (a role whose start
 * threw).
 */
public final class StartupException extends RuntimeException {
  private final boolean showTrace;

  public StartupException(String message) {
    this(message, null, false);
  }

  public StartupException(String message, Throwable cause) {
    this(message, cause, false);
  }

  public StartupException(String message, Throwable cause, boolean showTrace) {
    super(message, cause, false, false);
    this.showTrace = showTrace;
  }

  /** True when the cause's stack trace helps (a bug), false when the message says it all. */
  public boolean showTrace() {
    return showTrace && getCause() != null;
  }
}
