package dev.kasoku.common.time;

/**
 * A source of nanoseconds for measuring durations and deadlines (after Caffeine's {@code Ticker}):
 * business code reads elapsed time through one it was given instead of calling
 * {@link System#nanoTime()}, so a test can move time by hand. Wall-clock instants (freshness, log
 * stamps) come from a {@link java.time.Clock}; this is only for intervals, and its origin is
 * arbitrary. Implementations are thread-safe.
 */
@FunctionalInterface
public interface Ticker {

  /** Nanoseconds since an arbitrary, fixed origin; compare two readings only by subtraction. */
  long read();

  /** Whole milliseconds elapsed since the reading {@code startNanos}. */
  default long millisSince(long startNanos) {
    return (read() - startNanos) / 1_000_000;
  }

  /** The JVM's monotonic clock. */
  static Ticker system() {
    return System::nanoTime;
  }
}
