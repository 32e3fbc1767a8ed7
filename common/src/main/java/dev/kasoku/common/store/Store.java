package dev.kasoku.common.store;

import io.vertx.core.Future;

/**
 * The platform's shared state: one store per process, Redis in a cluster, embedded (a data
 * directory) on one machine. Each concern has its own small interface; a contract test suite
 * ({@code StoreContractTest}) runs against both implementations.
 *
 * <p>Every method returns a Future bounded by a timeout; an unreachable backend fails it with
 * {@link StoreUnavailableException}. Data of a tenant lives under its own namespace
 * ({@code kasoku:t:{tenant}:} in Redis), so {@link #eraseTenant} can remove all of it.
 */
public interface Store {

  TenantStore tenants();

  ApiKeyStore apiKeys();

  SiteStore sites();

  PurgeLog purgeLog();

  PurgeStatusStore purgeStatuses();

  StatsStore stats();

  NotificationStore notifications();

  AccessStore access();

  AuditStore audit();

  LogSinkStore logSinks();

  /** The cluster's edges and their leases (platform data, not durable). */
  EdgeMemberStore edgeMembers();

  /** Succeeds when the backend answers; the readiness check. */
  Future<Void> ping();

  /**
   * Erases everything stored for the tenant: the tenant record, users, keys, sites and their
   * versions, hostname claims, stats, notifications, purge statuses, access state (allow-list, counters, markers), log sinks and their cursors and its audit chain. Purge-log entries
   * of the tenant are dropped too. Completes once nothing of the tenant remains.
   */
  Future<Void> eraseTenant(String tenant);

  /** Releases connections and files. */
  Future<Void> close();

  /** "redis" or "embedded", for logs and health output. */
  String kind();
}
