package dev.kasoku.launcher;

/**
 * A start-up failure whose message alone tells the operator what to do (data directory in use, port
 * taken, store unreachable): logged as one line, without a stack trace.
 */
public final class StartupException extends RuntimeException {
  public StartupException(String message) {
    super(message, null, false, false);
  }

  public StartupException(String message, Throwable cause) {
    super(message, cause, false, false);
  }
}
