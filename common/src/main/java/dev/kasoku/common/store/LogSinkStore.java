package dev.kasoku.common.store;

import io.vertx.core.Future;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Each tenant's log sinks (the list {@code PUT /v1/tenants/{t}/log-sinks} replaces as a whole) and
 * the delivery cursors of the logging instances that ship them.
 *
 * <p>The list is stored as one document (JSON built and read by the logging service; secrets in it
 * are already sealed), so replacing it is one atomic write. Every sink in it has an id that stays
 * the same while the sink keeps its name; a cursor belongs to (sink id, logging instance), because
 * each logging instance ships only what it stored itself. Replacing the list drops the cursors of
 * the sinks it no longer holds in the same atomic write, and a cursor is only written while its sink
 * is still listed ({@link #putCursor}), so a shipper that finishes a batch just after its sink was
 * removed cannot bring the cursor back. The tenant's sinks and cursors live in its namespace and are
 * erased with it ({@link Store#eraseTenant}).
 *
 * <p>It also keeps the two other records of the stored access log: the registry of logging
 * instances (each with its own log directory, known by the id kept there, and when it was last seen
 * running), so a download knows which instances may hold records of its range and can name those
 * that do not answer; and each tenant's retention of stored logs (in the tenant's namespace too).
 */
public interface LogSinkStore {

  /**
   * A delivery cursor as stored.
   *
   * @param sinkId the sink it belongs to
   * @param instance the logging instance that ships it
   * @param json the cursor and the sink's health on that instance (the logging service's format)
   */
  record Cursor(String sinkId, String instance, String json) {}

  /**
   * Replaces the tenant's sink list, all or nothing: stores {@code listJson} (or removes the list
   * when {@code sinkIds} is empty), drops the cursors of every sink id not in {@code sinkIds}, and
   * raises the {@link #changeEpoch}.
   *
   * @param sinkIds ids of the sinks the new list holds ([a-z0-9-], as tenant ids)
   */
  Future<Void> put(String tenant, String listJson, List<String> sinkIds);

  /** The tenant's stored list, empty when it has none. */
  Future<Optional<String>> get(String tenant);

  /** Ids of the tenants that have at least one sink, in id order. */
  Future<List<String>> tenants();

  /**
   * A number raised by every {@link #put} and every erasure of a tenant with sinks; logging
   * instances poll it to notice a list another instance replaced.
   */
  Future<Long> changeEpoch();

  /**
   * Stores the cursor of (sink, instance) if the sink is still in the tenant's list.
   *
   * @return false (nothing written) when the sink is not listed any more
   */
  Future<Boolean> putCursor(String tenant, String sinkId, String instance, String json);

  /** Every stored cursor of the tenant's sinks, of every logging instance. */
  Future<List<Cursor>> cursors(String tenant);

  /**
   * Records that the logging instance {@code instance} (the id of its log directory) was running at
   * {@code at}; it calls this at start and then periodically (its heartbeat).
   */
  Future<Void> instanceSeen(String instance, Instant at);

  /** Every registered logging instance and when it was last seen, in id order. */
  Future<Map<String, Instant>> instances();

  /** Takes a logging instance out of the registry (its log directory is gone for good). */
  Future<Void> forgetInstance(String instance);

  /** The tenant's retention of stored access logs in days; empty: the platform's default. */
  Future<Optional<Integer>> logRetentionDays(String tenant);

  /** Sets the tenant's retention of stored access logs in days (null: back to the default). */
  Future<Void> putLogRetentionDays(String tenant, Integer days);
}
