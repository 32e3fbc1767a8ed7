package dev.kasoku.common.store;

import io.vertx.core.Future;
import java.time.Duration;
import java.util.Optional;

/**
 * Settled purge statuses (done, or partial at the wait bound), kept for a while so that any purge
 * instance, including one started after the purge, can answer {@code GET .../purge/{id}}. The
 * document is opaque JSON to the store; it belongs to one tenant and is erased with it.
 */
public interface PurgeStatusStore {

  /** Stores or replaces the status of a tenant's purge; it expires {@code ttl} later. */
  Future<Void> put(String tenant, String id, String json, Duration ttl);

  /** The status, empty when unknown, expired, or stored for another tenant. */
  Future<Optional<String>> get(String tenant, String id);
}
