package dev.kasoku.common.store;

import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Shared access-control state that must hold across nodes: tenants' IP allow-lists, expiring
 * counters (login failures per user and per source, rate limits) and expiring markers (revoked
 * tokens, lockouts). {@code tenant} null means platform scope; otherwise the state lives in the
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

  /** Sets a marker that exists until {@code expiresAt}. */
  Future<Void> putMarker(String tenant, String name, Instant expiresAt);

  /** When the marker expires, or null when it is absent or expired. */
  Future<Instant> getMarker(String tenant, String name);

  Future<Void> deleteMarker(String tenant, String name);
}
