package dev.kasoku.common.testing;

import io.vertx.core.Future;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * Blocking waits for tests that run on the JUnit thread (never on an event loop): the result of a
 * Future, or its failure, or a condition that other threads make true, each bounded so a hung
 * call fails the test instead of hanging the build.
 */
public final class Await {
  public static final long DEFAULT_TIMEOUT_MS = 15_000;

  private Await() {}

  /** The Future's result; rethrows its failure (unwrapped) as an unchecked exception. */
  public static <T> T result(Future<T> future) {
    return result(future, DEFAULT_TIMEOUT_MS);
  }

  public static <T> T result(Future<T> future, long timeoutMs) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(cause);
    } catch (TimeoutException e) {
      throw new AssertionError("future did not complete within " + timeoutMs + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The Future's failure; an AssertionError when it succeeds. */
  public static Throwable failure(Future<?> future) {
    return failure(future, DEFAULT_TIMEOUT_MS);
  }

  public static Throwable failure(Future<?> future, long timeoutMs) {
    Object value;
    try {
      value = result(future, timeoutMs);
    } catch (AssertionError e) {
      throw e;
    } catch (Throwable t) {
      return t;
    }
    throw new AssertionError("expected a failure but the future succeeded with " + value);
  }

  /**
   * Returns once {@code condition} holds, polling it every 5 ms; an AssertionError naming
   * {@code what} when it still does not after 10 s.
   */
  public static void until(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("waiting for: " + what + " (not within 10 s)");
      }
      try {
        Thread.sleep(5); // polling interval, not a wait for the condition
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}
