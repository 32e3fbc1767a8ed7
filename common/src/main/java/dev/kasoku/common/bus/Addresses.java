package dev.kasoku.common.bus;

/**
 * Every event-bus address Kasoku uses, in one place (DESIGN.md, "Event-bus addresses"). No address
 * literal appears anywhere else in the code.
 */
public final class Addresses {
  private Addresses() {}

  /** publish: {@link Messages.PurgeCommand} to every edge. */
  public static final String PURGE = "kasoku.purge";
  /** publish: {@link Messages.PurgeAck} from an edge to every purge instance (each tracks every purge). */
  public static final String PURGE_ACK = "kasoku.purge.ack";
  /** publish: {@link Messages.ConfigChanged} to every edge. */
  public static final String CONFIG_CHANGED = "kasoku.config.changed";
  /** publish: {@link Messages.TenantDeleted} to every service. */
  public static final String TENANT_DELETED = "kasoku.tenant.deleted";
  /** send: {@link Messages.AccessLogBatch} from edges, load-balanced over logging instances. */
  public static final String LOG_ACCESS = "kasoku.log.access";
  /** send: {@link Messages.CounterDeltas} from edges, load-balanced over metrics instances. */
  public static final String METRICS_EDGE = "kasoku.metrics.edge";
  /** send: {@link Messages.AuditEvent} from every control-plane service. */
  public static final String AUDIT = "kasoku.audit";
  /**
   * publish: {@link Messages.AccessChanged} — a token, user, API key, allow-list or tenant changed;
   * every node drops what its request verification cached about it.
   */
  public static final String ACCESS_CHANGED = "kasoku.access.changed";
  /** publish: a {@link Messages.NodeHeartbeat}; lets services list the live nodes of each role. */
  public static final String NODE_HEARTBEAT = "kasoku.node.heartbeat";
}
