package dev.kasoku.purge.impl;

import dev.kasoku.common.http.ApiException;
import dev.kasoku.common.http.ProblemType;
import dev.kasoku.common.store.AccessStore;
import dev.kasoku.common.store.TokenBucket;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Per-tenant purge rate limit: a token bucket in the store ({@link AccessStore#takeToken}), so every
 * purge instance shares it. The bucket holds {@code capacity} tokens (the burst a tenant may send at
 * once) and refills completely over {@code window} (one token every {@code window / capacity}), so
 * the sustained rate is {@code capacity} purges per window. Taking a token is one atomic store
 * operation (a Lua script in Redis, the single writer in the embedded store): concurrent instances
 * can never grant more than the bucket holds. Refused calls take nothing. Time is the store's clock.
 */
final class PurgeRateLimiter {
  static final String BUCKET = "purge-rate";

  private final AccessStore access;
  private final TokenBucket bucket;
  private final int capacity;
  private final Duration window;

  PurgeRateLimiter(AccessStore access, int capacity, Duration window) {
    this.access = access;
    this.bucket = TokenBucket.perWindow(capacity, window);
    this.capacity = capacity;
    this.window = window;
  }

  /** Succeeds when the tenant may purge now; fails with a 429 {@link ApiException} with Retry-After otherwise. */
  Future<Void> acquire(String tenant) {
    return access.takeToken(tenant, BUCKET, bucket).compose(take -> take.granted()
        ? Future.succeededFuture()
        : Future.failedFuture(new ApiException(ProblemType.TOO_MANY_REQUESTS,
            "purge rate limit of " + capacity + " per " + window.toSeconds() + "s reached; retry later",
            List.of(), Map.of("Retry-After", Long.toString(take.retryAfterSeconds())))));
  }
}
