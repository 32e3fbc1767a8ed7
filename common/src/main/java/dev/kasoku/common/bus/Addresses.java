package dev.kasoku.common.bus;

/**
 * Every event-bus address Kasoku uses, each bound to its message type, in one place. No address
 * literal appears anywhere else in the code: services send, publish and subscribe through these
 * {@link Channel}s (an architecture test in the launcher module checks it). docs/architecture.md
 * lists them with who sends and who consumes.
 */
public final class Addresses {
  private Addresses() {}

  /** publish: {@link Messages.PurgeCommand} to every edge. */
  public static final Channel<Messages.PurgeCommand> PURGE =
      new Channel<>("kasoku.purge", Messages.PurgeCommand.class);
  /** publish: {@link Messages.PurgeAck} from an edge to every purge instance (each tracks every purge). */
  public static final Channel<Messages.PurgeAck> PURGE_ACK =
      new Channel<>("kasoku.purge.ack", Messages.PurgeAck.class);
  /** publish: {@link Messages.ConfigChanged} to every edge. */
  public static final Channel<Messages.ConfigChanged> CONFIG_CHANGED =
      new Channel<>("kasoku.config.changed", Messages.ConfigChanged.class);
  /** publish: {@link Messages.TenantDeleted} to every service. */
  public static final Channel<Messages.TenantDeleted> TENANT_DELETED =
      new Channel<>("kasoku.tenant.deleted", Messages.TenantDeleted.class);
  /** send: {@link Messages.AccessLogBatch} from edges, load-balanced over logging instances. */
  public static final Channel<Messages.AccessLogBatch> LOG_ACCESS =
      new Channel<>("kasoku.log.access", Messages.AccessLogBatch.class);
  /** send: {@link Messages.CounterDeltas} from edges, load-balanced over metrics instances. */
  public static final Channel<Messages.CounterDeltas> METRICS_EDGE =
      new Channel<>("kasoku.metrics.edge", Messages.CounterDeltas.class);
  /** send: {@link Messages.AuditEvent} from every control-plane service. */
  public static final Channel<Messages.AuditEvent> AUDIT =
      new Channel<>("kasoku.audit", Messages.AuditEvent.class);
  /**
   * publish: {@link Messages.AccessChanged} — a token, user, API key, allow-list or tenant changed;
   * every node drops what its request verification cached about it.
   */
  public static final Channel<Messages.AccessChanged> ACCESS_CHANGED =
      new Channel<>("kasoku.access.changed", Messages.AccessChanged.class);
  /** publish: a {@link Messages.NodeHeartbeat}; lets services list the live nodes of each role. */
  public static final Channel<Messages.NodeHeartbeat> NODE_HEARTBEAT =
      new Channel<>("kasoku.node.heartbeat", Messages.NodeHeartbeat.class);
  /**
   * publish: {@link Messages.EdgeMemberChanged} — an edge joined or left the cluster's edge table;
   * every edge reads the table back from the store (the cluster-aware edge's owner choice).
   */
  public static final Channel<Messages.EdgeMemberChanged> EDGE_MEMBERS =
      new Channel<>("kasoku.edge.members", Messages.EdgeMemberChanged.class);

  /**
   * request: a {@link Messages.LogRangeQuery} to one logging instance, answered with a
   * {@link Messages.LogRangeChunk}. Each logging instance listens on its own address
   * ({@code kasoku.log.range.<instance>}, the instance being the id of its log directory), so a
   * download can ask every instance in turn and name the one that does not answer.
   */
  public static Channel<Messages.LogRangeQuery> logRange(String instance) {
    if (instance == null || !INSTANCE_ID.matcher(instance).matches()) {
      throw new IllegalArgumentException("invalid logging instance id '" + instance + "'");
    }
    return new Channel<>(LOG_RANGE_PREFIX + instance, Messages.LogRangeQuery.class);
  }

  private static final String LOG_RANGE_PREFIX = "kasoku.log.range.";
  /** The ids' form (as every id of the model), so an id cannot reach into another address. */
  private static final java.util.regex.Pattern INSTANCE_ID = java.util.regex.Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
}
