package dev.kasoku.cacheedge.telemetry;

import dev.kasoku.cacheedge.origin.OriginException;
import dev.kasoku.cacheedge.sites.EdgeSite;
import dev.kasoku.common.bus.Messages.AccessLogRecord;
import dev.kasoku.common.bus.Messages.CounterDeltas;
import dev.kasoku.common.bus.Messages.CounterRow;
import dev.kasoku.common.model.Ids;
import dev.kasoku.common.stats.LatencySketch;
import dev.kasoku.common.prometheus.Prometheus;
import dev.kasoku.common.time.Ticker;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The observability seam of one edge verticle: every request hands over one access-log record and
 * its counter deltas ({@link #record}); both are batched in memory and sent on the bus every
 * {@link #FLUSH_MS} or every {@link #BATCH_RECORDS} records, never on the request's critical path.
 *
 * <p>Both hand-offs are acknowledged. Access-log batches are numbered (this instance's stream id, a
 * sequence from 1) and kept in a {@link LogOutbox} until a logging instance replies that they are on
 * its disk, resent meanwhile; the outbox is bounded by this instance's share of
 * {@code KASOKU_EDGE_LOG_BUFFER}, past which the oldest records are dropped, counted and announced
 * ({@link LogShipping}). Counter deltas: each window's batch is numbered the same way and kept in a
 * {@link DeltaOutbox} until a metrics instance replies that it folded it. Counter rows are per tenant
 * and site and are summed, so their memory is bounded by the number of sites. Latency goes into
 * {@link LatencySketch} buckets per tenant and site (edge total time, origin time), counters that
 * merge by addition. Each request also moves the process's Prometheus meters ({@link EdgeMeters}).
 * Used from its verticle's event loop only.
 */
public final class EdgeTelemetry {
  private static final System.Logger LOG = System.getLogger(EdgeTelemetry.class.getName());
  public static final long FLUSH_MS = 1000;
  public static final int BATCH_RECORDS = 500;
  /** How long an access-log batch waits for its acknowledgement before it is sent again. */
  public static final long LOG_ACK_TIMEOUT_MS = 5000;
  /** How long a stopping edge waits for the acknowledgement of its last access-log batches. */
  public static final long LOG_DRAIN_MS = 1000;

  /** Counter names (the fields of the stats series the metrics service keeps). */
  public static final String REQUESTS = "requests", BYTES = "bytes", HITS = "hits", MISSES = "misses",
      STALE = "stale", PASSES = "pass", ERRORS = "errors", ORIGIN_BYTES = "originBytes",
      ORIGIN_MS = "originMs", ORIGIN_REQUESTS = "originRequests", BYTES_IN = "bytesIn", HIT_BYTES = "hitBytes",
      DECEPTION_GUARD = "deceptionGuard";
  /** Windows of counter deltas kept while no metrics instance acknowledges them (5 minutes' worth). */
  public static final int MAX_UNACKED_DELTAS = 300;
  /** How long a delta batch waits for its acknowledgement before it is sent again. */
  public static final long DELTA_ACK_TIMEOUT_MS = 5000;
  /**
   * How long a stopping edge waits for its last counter deltas to be acknowledged: well inside the
   * second the launcher allows a draining edge beyond its grace.
   */
  public static final long FINAL_FLUSH_MS = 750;

  private final Vertx vertx;
  private final String node;
  private final Clock clock;
  private Map<String, Map<String, SiteCounters>> counters = new HashMap<>();
  // the row of the previous request: consecutive requests mostly belong to the same site, whose
  // tenant and site strings are the same instances (the site table's), so an identity check skips
  // the two map lookups
  private String lastTenant;
  private String lastSite;
  private SiteCounters lastRow;
  private Instant windowStart;
  private final String stream;
  private long seq;
  private final DeltaOutbox deltas;
  private final EdgeMeters meters;
  private final LogOutbox logs;
  private final LogShipping shipping;
  /** Created at the first warm-up request; null in an edge that ran none. */
  private WarmUpCounting warmUp;
  private long timer = -1;

  /**
   * @param ticker measures the drain deadlines of a stop
   * @param shipping the process's access-log bound, meters and drop announcements (shared by its verticles)
   */
  public EdgeTelemetry(Vertx vertx, String node, Clock clock, Ticker ticker, LogShipping shipping) {
    this(vertx, node, clock, ticker, shipping, LOG_ACK_TIMEOUT_MS);
  }

  /** With another acknowledgement timeout for access-log batches (tests). */
  public EdgeTelemetry(Vertx vertx, String node, Clock clock, Ticker ticker, LogShipping shipping,
                       long logAckTimeoutMs) {
    this.vertx = vertx;
    this.node = node;
    this.clock = clock;
    this.shipping = shipping;
    this.windowStart = clock.instant();
    // a random id per start: (node, seq) alone repeats across verticles and restarts
    this.stream = node + "." + Ids.random(10);
    this.deltas = new DeltaOutbox(vertx, ticker, MAX_UNACKED_DELTAS, DELTA_ACK_TIMEOUT_MS);
    this.meters = new EdgeMeters(Prometheus.registry(vertx));
    this.logs = new LogOutbox(vertx, shipping, node, stream, clock, ticker, BATCH_RECORDS, logAckTimeoutMs);
  }

  public void start() {
    timer = vertx.setPeriodic(FLUSH_MS, id -> flush());
  }

  /**
   * Stops the flush timer and hands over what is pending: the counters, waiting at most
   * {@link #FINAL_FLUSH_MS} until a metrics instance acknowledged every counter-delta batch still
   * unacknowledged (so a graceful stop loses no counts while a metrics instance is there), and the
   * access-log records with up to {@link #LOG_DRAIN_MS} for their acknowledgements (what is
   * unacknowledged then is dropped, counted and announced). Completes when both are done; never fails.
   */
  public Future<Void> stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
    flushCounters();
    Future<Void> counted = deltas.drain(FINAL_FLUSH_MS).onSuccess(acked -> {
      if (!acked) {
        LOG.log(Level.WARNING, "edge {0} stopped with {1} counter-delta batch(es) unacknowledged after {2} ms",
            node, deltas.pending(), FINAL_FLUSH_MS);
      }
    }).mapEmpty();
    return Future.join(counted, logs.drain(LOG_DRAIN_MS)).mapEmpty();
  }

  /**
   * Records one finished request.
   *
   * @param bytesIn bytes of the client's request body
   */
  public void record(AccessLogRecord r, long bytesIn, long originBytes, boolean originContacted) {
    if (EdgeSite.INTERNAL_TENANT.equals(r.tenant())) {
      // the edge's own warm-up: no tenant's traffic, nobody's log line, bill or meter. It is counted
      // all the same, into meters and a row of this instance's own that nothing reads or sends, so
      // that the counting is compiled by the time the first tenant's request is counted
      if (warmUp == null) {
        warmUp = new WarmUpCounting();
      }
      count(warmUp.meters, warmUp.row, r, bytesIn, originBytes, originContacted);
      return;
    }
    logs.add(r);
    count(meters, r.tenant() == null ? null : row(r.tenant(), r.site()), r, bytesIn, originBytes, originContacted);
  }

  private static void count(EdgeMeters meters, SiteCounters sc, AccessLogRecord r, long bytesIn, long originBytes,
                            boolean originContacted) {
    meters.request(r.cacheStatus(), r.status(), r.bytes(), bytesIn, r.totalMs(), r.originMs(), originContacted);
    if (sc != null) {
      long[] c = sc.counts;
      c[Slot.REQUESTS.ordinal()]++;
      c[Slot.BYTES.ordinal()] += r.bytes();
      c[Slot.BYTES_IN.ordinal()] += bytesIn;
      switch (r.cacheStatus()) {
        case "hit" -> c[Slot.HITS.ordinal()]++;
        case "miss" -> c[Slot.MISSES.ordinal()]++;
        case "stale" -> c[Slot.STALE.ordinal()]++;
        case "pass" -> c[Slot.PASSES.ordinal()]++;
        default -> c[Slot.ERRORS.ordinal()]++;
      }
      if ("hit".equals(r.cacheStatus()) || "stale".equals(r.cacheStatus())) {
        c[Slot.HIT_BYTES.ordinal()] += r.bytes();
      }
      int cls = r.status() / 100;
      if (cls >= 1 && cls <= 5) {
        c[Slot.S1XX.ordinal() + cls - 1]++;
      }
      sc.edgeMs.add(LatencySketch.index(r.totalMs()));
      if (originContacted) {
        c[Slot.ORIGIN_REQUESTS.ordinal()]++;
        c[Slot.ORIGIN_BYTES.ordinal()] += originBytes;
        c[Slot.ORIGIN_MS.ordinal()] += r.originMs();
        sc.originMs.add(LatencySketch.index(r.originMs()));
      }
    }
  }

  /** Counts an origin request that got no usable response ({@code kasoku_origin_errors_total}). */
  public void originFailed(OriginException.Kind kind) {
    meters.originFailed(kind);
  }

  /**
   * Counts a response the cache-deception guard kept out of the cache (the counter
   * {@value #DECEPTION_GUARD}): a site sees how often its URLs were probed, or how often its origin
   * mislabels content.
   */
  public void countDeceptionGuard(String tenant, String site) {
    row(tenant, site).counts[Slot.DECEPTION_GUARD.ordinal()]++;
  }

  private SiteCounters row(String tenant, String site) {
    if (tenant == lastTenant && site == lastSite && lastRow != null) {
      return lastRow;
    }
    SiteCounters sc = counters.computeIfAbsent(tenant, t -> new HashMap<>())
        .computeIfAbsent(site == null ? "" : site, s -> new SiteCounters());
    lastTenant = tenant;
    lastSite = site;
    lastRow = sc;
    return sc;
  }

  private enum Slot {
    REQUESTS(EdgeTelemetry.REQUESTS), BYTES(EdgeTelemetry.BYTES), HITS(EdgeTelemetry.HITS),
    MISSES(EdgeTelemetry.MISSES), STALE(EdgeTelemetry.STALE), PASSES(EdgeTelemetry.PASSES),
    ERRORS(EdgeTelemetry.ERRORS), S1XX("status1xx"), S2XX("status2xx"), S3XX("status3xx"),
    S4XX("status4xx"), S5XX("status5xx"), ORIGIN_REQUESTS(EdgeTelemetry.ORIGIN_REQUESTS),
    ORIGIN_BYTES(EdgeTelemetry.ORIGIN_BYTES), ORIGIN_MS(EdgeTelemetry.ORIGIN_MS),
    BYTES_IN(EdgeTelemetry.BYTES_IN), HIT_BYTES(EdgeTelemetry.HIT_BYTES),
    DECEPTION_GUARD(EdgeTelemetry.DECEPTION_GUARD);

    final String counter;

    Slot(String counter) {
      this.counter = counter;
    }
  }

  /**
   * Where the warm-up's requests are counted: meters of the same kind as the process's (Prometheus
   * meters, so the same classes run) in a registry of their own that no endpoint exposes, and one
   * row that is never flushed.
   */
  private static final class WarmUpCounting {
    final EdgeMeters meters = new EdgeMeters(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    final SiteCounters row = new SiteCounters();
  }

  /** One window's counters and latency sketches of one site. */
  private static final class SiteCounters {
    final long[] counts = new long[Slot.values().length];
    final Buckets edgeMs = new Buckets();
    final Buckets originMs = new Buckets();
  }

  /**
   * One window's latency sketch as a plain array of counts (bucket index + 1, so that the zero
   * bucket {@link LatencySketch#ZERO_INDEX} is slot 0): a request adds to a slot without boxing or
   * hashing; the map the bus message carries is built once per window.
   */
  private static final class Buckets {
    private long[] counts = new long[32];

    void add(int index) {
      int i = index - LatencySketch.ZERO_INDEX;
      if (i >= counts.length) {
        counts = java.util.Arrays.copyOf(counts, Math.max(i + 1, counts.length * 2));
      }
      counts[i]++;
    }

    Map<Integer, Long> toMap() {
      Map<Integer, Long> m = new HashMap<>();
      for (int i = 0; i < counts.length; i++) {
        if (counts[i] != 0) {
          m.put(i + LatencySketch.ZERO_INDEX, counts[i]);
        }
      }
      return m;
    }
  }

  /** Counter-delta batches not yet acknowledged by a metrics instance. */
  public int unackedDeltas() {
    return deltas.pending();
  }

  /** Counter-delta batches dropped unacknowledged past {@link #MAX_UNACKED_DELTAS}. */
  public long droppedDeltas() {
    return deltas.droppedBatches();
  }

  /** Access-log records of this process dropped unacknowledged (past the bound, or at a stop). */
  public long dropped() {
    return shipping.droppedRecords();
  }

  /** Access-log records of this instance not acknowledged yet. */
  public int unackedRecords() {
    return logs.pendingRecords();
  }

  /** Sends what is pending now. */
  public void flush() {
    logs.seal();
    flushCounters();
  }

  private void flushCounters() {
    Instant start = windowStart;
    windowStart = clock.instant();
    if (counters.isEmpty()) {
      deltas.pump();
      return;
    }
    List<CounterRow> rows = new ArrayList<>();
    counters.forEach((tenant, sites) -> sites.forEach((site, sc) -> {
      Map<String, Long> m = new HashMap<>();
      for (Slot s : Slot.values()) {
        if (sc.counts[s.ordinal()] != 0) {
          m.put(s.counter, sc.counts[s.ordinal()]);
        }
      }
      rows.add(new CounterRow(tenant, site, m, sc.edgeMs.toMap(), sc.originMs.toMap()));
    }));
    counters = new HashMap<>();
    lastRow = null;
    deltas.offer(new CounterDeltas(node, stream, ++seq, start, rows));
  }
}
