package dev.kasoku.common.store;

import java.time.Duration;
import java.util.Objects;

/**
 * The shape of a token bucket kept in the store ({@link AccessStore#takeToken}): it holds at most
 * {@code capacity} tokens, starts full, and gains one token every {@code refillInterval} until full.
 * A call takes one token when there is one (granted) and is refused otherwise, with the time until
 * the next token arrives. Bursts up to {@code capacity} pass at once; the sustained rate is one call
 * per {@code refillInterval}.
 *
 * <p>Integer arithmetic only (milliseconds and whole tokens), so the Redis script and the embedded
 * store compute exactly the same thing.
 *
 * @param capacity most tokens the bucket holds (the burst), at least 1
 * @param refillInterval time to gain one token, at least 1 ms (whole milliseconds count)
 */
public record TokenBucket(long capacity, Duration refillInterval) {
  public TokenBucket {
    Objects.requireNonNull(refillInterval, "refillInterval");
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be >= 1, was " + capacity);
    }
    if (refillInterval.toMillis() < 1) {
      throw new IllegalArgumentException("refillInterval must be at least 1 ms, was " + refillInterval);
    }
  }

  /** A bucket of {@code capacity} tokens that refills completely over {@code window}. */
  public static TokenBucket perWindow(long capacity, Duration window) {
    return new TokenBucket(capacity, Duration.ofMillis(Math.max(1, window.toMillis() / Math.max(1, capacity))));
  }

  /** The refill interval in milliseconds. */
  public long intervalMillis() {
    return refillInterval.toMillis();
  }

  /**
   * The outcome of one {@link AccessStore#takeToken} call.
   *
   * @param granted whether a token was taken
   * @param remaining tokens left in the bucket after the call
   * @param retryIn zero when granted; otherwise how long until the next token is available
   */
  public record Take(boolean granted, long remaining, Duration retryIn) {
    /** The retry delay as an HTTP {@code Retry-After} value: whole seconds, rounded up, at least 1. */
    public long retryAfterSeconds() {
      return Math.max(1, (retryIn.toMillis() + 999) / 1000);
    }
  }
}
