package dev.kasoku.common.store;

/**
 * The store could not be reached or did not answer in time. Nothing was written (or the write is
 * known not to have been applied partially); API callers see 503 and may retry.
 */
public final class StoreUnavailableException extends RuntimeException {
  public StoreUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
