package dev.kasoku.purge;

import dev.kasoku.common.http.ApiException;
import dev.kasoku.common.http.ProblemType;
import dev.kasoku.common.store.AccessStore;
import io.vertx.core.Future;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Per-tenant purge rate limit, shared by every purge instance because its state is in the store.
 *
 * <p>It behaves like a token bucket of {@code capacity} tokens refilled continuously over
 * {@code window}, computed from the store's atomic expiring counters with the sliding-window
 * estimate: {@code used = previous * (1 - elapsed / window) + current}, where {@code current} and
 * {@code previous} count the calls of this and the previous fixed window. A counter increment is
 * one atomic store operation (INCR in Redis), so concurrent instances never over-grant by more than
 * the calls in flight; no read-modify-write of a shared bucket is needed. Refused calls count too,
 * so a client hammering past the limit stays limited.
 */
final class PurgeRateLimiter {
  static final String COUNTER_PREFIX = "purge-rate:";

  private final AccessStore access;
  private final Clock clock;
  private final int capacity;
  private final Duration window;

  PurgeRateLimiter(AccessStore access, Clock clock, int capacity, Duration window) {
    this.access = access;
    this.clock = clock;
    this.capacity = capacity;
    this.window = window;
  }

  /** Succeeds when the tenant may purge now; fails with a 429 {@link ApiException} otherwise. */
  Future<Void> acquire(String tenant) {
    long now = clock.millis();
    long w = window.toMillis();
    long index = now / w;
    double elapsed = (now - index * w) / (double) w;
    Future<Long> current = access.incrementCounter(tenant, COUNTER_PREFIX + index, window.multipliedBy(2));
    Future<Long> previous = access.getCounter(tenant, COUNTER_PREFIX + (index - 1));
    return Future.all(current, previous).compose(all -> {
      double used = previous.result() * (1.0 - elapsed) + current.result();
      if (used <= capacity) {
        return Future.succeededFuture();
      }
      long retryAfter = Math.max(1, (long) Math.ceil((w - (now - index * w)) / 1000.0));
      return Future.failedFuture(new ApiException(ProblemType.TOO_MANY_REQUESTS,
          "purge rate limit of " + capacity + " per " + window.toSeconds() + "s reached; retry later",
          List.of(), Map.of("Retry-After", Long.toString(retryAfter))));
    });
  }
}
