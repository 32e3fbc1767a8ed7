package dev.kasoku.common.bus;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The records that travel on the event bus. They are immutable (lists and maps are copied), so the
 * local bus can hand the same instance to every consumer, and they are encoded on the clustered bus
 * by {@link RecordCodec}.
 */
public final class Messages {
  private Messages() {}

  /** Every record registered with {@link RecordCodec}; a new message type is added here. */
  public static final List<Class<? extends Record>> ALL = List.of(
      PurgeCommand.class, PurgeAck.class, ConfigChanged.class, TenantDeleted.class,
      AccessLogBatch.class, CounterDeltas.class, AuditEvent.class, NodeHeartbeat.class,
      AccessChanged.class, EdgeMemberChanged.class, LogRangeQuery.class, LogRangeChunk.class);

  /** What a purge targets. */
  public enum PurgeScope { URL, PREFIX, TAG, HOST, ALL }

  /** A purge to apply: {@code seq} is its position in the durable purge log. */
  public record PurgeCommand(String id, long seq, String tenant, PurgeScope scope, List<String> targets,
                             boolean soft, Instant issuedAt) {
    public PurgeCommand {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(tenant, "tenant");
      Objects.requireNonNull(scope, "scope");
      targets = List.copyOf(targets);
    }
  }

  /** An edge's answer to a purge: how many stored objects it removed or marked stale. */
  public record PurgeAck(String id, String node, long applied) {}

  /** A site's config changed (or was deleted: {@code version} is then 0). */
  public record ConfigChanged(String tenant, String site, long version) {}

  /** A tenant was deleted: every service erases what it holds of it. */
  public record TenantDeleted(String tenant) {}

  /**
   * One access-log line (what the tenant downloads from the logs operation of docs/openapi.yaml),
   * stamped by the edge when the response ends (UTC, ms).
   *
   * @param bytes response bytes sent to the client
   * @param bytesIn request body bytes received from the client
   * @param contentType the response's Content-Type; null when it had none
   * @param tlsVersion the client connection's TLS protocol ("TLSv1.3"); null over plain HTTP
   * @param range the request's Range header; null when it had none
   */
  public record AccessLogRecord(Instant ts, String tenant, String site, String host, String clientIp,
                                String method, String path, String protocol, int status, long bytes, long bytesIn,
                                String contentType, String tlsVersion, String range, String cacheStatus,
                                long originMs, long totalMs, String userAgent, String referer, String node,
                                String requestId) {
    /** A record without the request-body size, content type, TLS version and range. */
    public AccessLogRecord(Instant ts, String tenant, String site, String host, String clientIp, String method,
                           String path, String protocol, int status, long bytes, String cacheStatus, long originMs,
                           long totalMs, String userAgent, String referer, String node, String requestId) {
      this(ts, tenant, site, host, clientIp, method, path, protocol, status, bytes, 0, null, null, null, cacheStatus,
          originMs, totalMs, userAgent, referer, node, requestId);
    }
  }

  /**
   * Access-log records batched by an edge. {@code stream} names one sender incarnation (an edge
   * verticle since its start: a node's sequence restarts with it, and several verticles of a node
   * each count their own) and {@code seq} numbers its batches from 1, so (node, stream, seq)
   * identifies a batch and a logging instance drops a resend of one it already stored.
   * {@code floor} is the lowest seq the sender may still send (everything below it was
   * acknowledged or given up), so a receiver can forget what lies below it. {@code sentAt} is the
   * sender's clock when this copy left (set again on every resend): the receiver compares it with
   * its own clock. A batch without a stream (null) is not deduplicated.
   */
  public record AccessLogBatch(String node, String stream, long seq, long floor, Instant sentAt,
                               List<AccessLogRecord> records) {
    public AccessLogBatch {
      records = List.copyOf(records);
    }

    /** A batch without identity or send time (never deduplicated). */
    public AccessLogBatch(List<AccessLogRecord> records) {
      this(null, null, 0, 0, null, records);
    }

    /** This batch as sent again at {@code at}. */
    public AccessLogBatch sentAt(Instant at) {
      return new AccessLogBatch(node, stream, seq, floor, at, records);
    }

    /** This batch with another floor (the sender's lowest seq still unacknowledged). */
    public AccessLogBatch withFloor(long f) {
      return new AccessLogBatch(node, stream, seq, f, sentAt, records);
    }

    /** The identity deduplication works on. */
    public String batchId() {
      return node + "/" + stream + "/" + seq;
    }
  }

  /**
   * Counter increments of one tenant/site over one window, with its latency sketches: bucket index →
   * number of requests (see {@code dev.kasoku.common.stats.LatencySketch}) of the edge's total time
   * and of the origin's time, so that sketches merge by adding.
   */
  public record CounterRow(String tenant, String site, Map<String, Long> counters, Map<Integer, Long> edgeMs,
                           Map<Integer, Long> originMs) {
    public CounterRow {
      Objects.requireNonNull(tenant, "tenant");
      Objects.requireNonNull(site, "site");
      counters = Map.copyOf(counters);
      edgeMs = edgeMs == null ? Map.of() : Map.copyOf(edgeMs);
      originMs = originMs == null ? Map.of() : Map.copyOf(originMs);
    }
  }

  /**
   * Counter deltas an edge accumulated over {@code windowStart}..+window. {@code stream} names one
   * sender incarnation (an edge verticle since its start) and {@code seq} numbers its batches from 1:
   * the pair identifies the batch, so a batch folded twice (a resend after a lost reply, two metrics
   * instances) counts once. The metrics instance replies once the batch is folded in the store.
   */
  public record CounterDeltas(String node, String stream, long seq, Instant windowStart, List<CounterRow> rows) {
    public CounterDeltas {
      Objects.requireNonNull(stream, "stream");
      Objects.requireNonNull(windowStart, "windowStart");
      rows = List.copyOf(rows);
    }

    /** The identity folding dedupes on. */
    public String batchId() {
      return stream + "/" + seq;
    }
  }

  /**
   * One control-plane action for the audit trail. {@code tenant} is null for platform actions;
   * {@code requestId} names the API request that caused it (null when no request did).
   */
  public record AuditEvent(Instant ts, String actor, String tenant, String action, String target,
                           String sourceIp, String outcome, String requestId) {}

  /** What an {@link AccessChanged} notice is about. */
  public enum AccessScope {
    /** {@code id} is a login token's jti: it was revoked (logout). */
    TOKEN,
    /** {@code id} is a username: deleted, password changed or role changed. */
    USER,
    /** {@code id} is an API key id: revoked. */
    API_KEY,
    /** the tenant's IP allow-list changed ({@code id} is null). */
    ALLOWLIST,
    /** the tenant was erased: forget everything about it ({@code id} is null). */
    TENANT
  }

  /**
   * Access-control state changed in the store; nodes drop what they cached about it so the change
   * holds everywhere at once instead of after the cache's expiry.
   */
  public record AccessChanged(AccessScope scope, String tenant, String id) {
    public AccessChanged {
      Objects.requireNonNull(scope, "scope");
    }
  }

  /**
   * A node announcing itself and its roles; receivers keep a live-node table with expiry.
   *
   * @param purgeWatermark on an edge, the purge-log sequence up to which it has applied every
   *     purge (null when unknown, or not an edge): a purge instance counts the edge as having acked
   *     each purge up to it, so an ack lost on the bus is made good by the next heartbeat
   */
  public record NodeHeartbeat(String node, List<String> roles, Instant at, Long purgeWatermark) {
    public NodeHeartbeat {
      roles = List.copyOf(roles);
    }

    /** A heartbeat without a purge watermark. */
    public NodeHeartbeat(String node, List<String> roles, Instant at) {
      this(node, roles, at, null);
    }
  }

  /** What happened to an edge's membership of the cluster. */
  public enum MemberChange { JOINED, LEFT }

  /**
   * An edge joined (recorded itself in the store's edge table for the first time since it started)
   * or left (removed itself on a clean stop). Receivers read the table back from the store at once
   * instead of waiting for their next periodic read: the store stays the only source of the member
   * list, the message only makes a change known sooner.
   *
   * @param peerAddress {@code host:port} of the edge's peer listener
   */
  public record EdgeMemberChanged(String node, String peerAddress, MemberChange change) {
    public EdgeMemberChanged {
      Objects.requireNonNull(node, "node");
      Objects.requireNonNull(change, "change");
    }
  }

  /**
   * One step of a download gathered from several logging instances: the instance asked answers the
   * tenant's stored records of [from, to) that pass the filters, from the position {@code hour} /
   * {@code position} on (null hour: from the start of the range), formatted in {@code format}
   * (ndjson, combined, csv), about {@code maxBytes} of them at most. The answering instance keeps no
   * state between steps: the position travels with the query.
   *
   * @param hour the hour file to read on ({@code yyyyMMddHH}), or null for the first of the range
   * @param position the byte offset of the next block in that file
   */
  public record LogRangeQuery(String tenant, Instant from, Instant to, String site, List<String> statuses,
                              List<String> cacheStatuses, String format, String hour, long position,
                              int maxBytes) {
    public LogRangeQuery {
      Objects.requireNonNull(tenant, "tenant");
      statuses = List.copyOf(statuses);
      cacheStatuses = List.copyOf(cacheStatuses);
    }

    /** The same query from another position. */
    public LogRangeQuery at(String nextHour, long nextPosition) {
      return new LogRangeQuery(tenant, from, to, site, statuses, cacheStatuses, format, nextHour, nextPosition,
          maxBytes);
    }
  }

  /**
   * A logging instance's answer to a {@link LogRangeQuery}: formatted lines (each with its line end)
   * in the instance's storage order, with each record's {@code ts} in epoch milliseconds (so the
   * gathering instance merges by time without parsing lines), and where to go on from.
   *
   * @param instance the answering instance
   * @param done true when the range is read to its end on that instance (next is then meaningless)
   */
  public record LogRangeChunk(String instance, List<String> lines, List<Long> ts, String nextHour,
                              long nextPosition, boolean done) {
    public LogRangeChunk {
      lines = List.copyOf(lines);
      ts = List.copyOf(ts);
      if (lines.size() != ts.size()) {
        throw new IllegalArgumentException("one ts per line");
      }
    }
  }
}
