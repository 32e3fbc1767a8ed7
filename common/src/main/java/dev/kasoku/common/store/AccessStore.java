package dev.kasoku.common.store;

import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Shared access-control state that must hold across nodes: tenants' IP allow-lists, expiring
 * counters (login failures per user and per source, rate limits) and expiring markers (revoked
 * tokens, lockouts) and token buckets (rate limits). {@code tenant} null means platform scope; otherwise the state lives in the
 * tenant's namespace and disappears with {@link Store#eraseTenant}.
 */
public interface AccessStore {

  /** The tenant's allow-list as stored (CIDR strings); empty when none is set. */
  Future<List<String>> getAllowlist(String tenant);

  Future<Void> putAllowlist(String tenant, List<String> cidrs);

  /**
   * Increments a counter and returns its new value. The counter expires {@code ttl} after its
   * first increment (a fixed window).
   */
  Future<Long> incrementCounter(String tenant, String name, Duration ttl);

  /** The counter's value, 0 when absent or expired. */
  Future<Long> getCounter(String tenant, String name);

  Future<Void> deleteCounter(String tenant, String name);

  /**
   * Takes one token from the bucket {@code name} shaped by {@code bucket}, atomically: any number of
   * processes sharing the store never take more tokens together than the bucket held and gained
   * (see {@link TokenBucket} for the refill rule). Time is the store's clock. A bucket never used,
   * or unused long enough to be full again, is full; its state disappears once it would be full.
   * Callers that use one name must use one shape for it.
   */
  Future<TokenBucket.Take> takeToken(String tenant, String name, TokenBucket bucket);

  /** Sets a marker that exists until {@code expiresAt}. */
  Future<Void> putMarker(String tenant, String name, Instant expiresAt);

  /** When the marker expires, or null when it is absent or expired. */
  Future<Instant> getMarker(String tenant, String name);

  Future<Void> deleteMarker(String tenant, String name);
}
