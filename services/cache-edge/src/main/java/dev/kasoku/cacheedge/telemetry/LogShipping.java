package dev.kasoku.cacheedge.telemetry;

import dev.kasoku.common.bus.Messages.AccessLogRecord;
import dev.kasoku.common.model.Ids;
import dev.kasoku.common.model.Notification;
import dev.kasoku.common.store.NotificationStore;
import dev.kasoku.common.time.Ticker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the access-log buffers of one edge process share ({@link LogOutbox} is one verticle's): the
 * bound ({@code KASOKU_EDGE_LOG_BUFFER}, shared out equally over the verticles), the meters, and the
 * announcement of drops to the tenants whose records were lost.
 *
 * <p><b>Meters</b> (no tenant labels): {@value #DROPPED_METER} (Prometheus
 * {@code kasoku_edge_log_dropped_total}), the records given up unacknowledged; {@value #BUFFER_METER}
 * ({@code kasoku_edge_log_buffer_bytes}), the approximate heap the unacknowledged records hold now;
 * {@value #POSSIBLE_DUPLICATES_METER} ({@code kasoku_edge_log_possible_duplicates_total}), batches
 * acknowledged after an earlier attempt timed out: that attempt may have been stored by another
 * logging instance, which the receiving instance cannot detect (it drops only resends of batches it
 * stored itself), so such duplicates are counted here rather than dropped.
 *
 * <p><b>Drop episodes.</b> Records dropped while no logging instance acknowledges anything form one
 * episode per tenant: its count and the window of the records' timestamps grow with every drop, and
 * the tenant's notification feed gets one {@value #NOTIFICATION_KIND} entry naming both when the
 * episode ends: a logging instance acknowledges a batch again, the edge stops, or the episode has
 * lasted {@link #EPISODE_MAX} when the next drop comes (that drop begins a new one, so a long outage
 * is announced while it lasts).
 *
 * <p>Thread-safe: every edge verticle of the process calls it from its own event loop.
 */
public final class LogShipping {
  private static final System.Logger LOG = System.getLogger(LogShipping.class.getName());
  public static final String DROPPED_METER = "kasoku.edge.log.dropped";
  public static final String BUFFER_METER = "kasoku.edge.log.buffer";
  public static final String POSSIBLE_DUPLICATES_METER = "kasoku.edge.log.possible.duplicates";
  public static final String NOTIFICATION_KIND = "log.dropped";
  /** An episode open this long is announced, and the drops after it start another one. */
  public static final Duration EPISODE_MAX = Duration.ofMinutes(5);

  private final String node;
  private final long boundBytes;
  private final int instances;
  private final NotificationStore notifications;
  private final Clock clock;
  private final Ticker ticker;
  private final MeterRegistry registry;
  // moved by every request on every event loop: striped, so the request path shares no contended word
  private final LongAdder bufferedBytes = new LongAdder();
  private final LongAdder bufferedRecords = new LongAdder();
  private final AtomicLong droppedRecords = new AtomicLong();
  private final Counter dropped;
  private final Gauge buffered;
  private final Counter possibleDuplicates;
  private final Map<String, Episode> episodes = new HashMap<>();
  private volatile boolean anyEpisode;
  private final List<Future<Void>> announcing = new ArrayList<>();
  static final long WARN_EVERY_MS = 10_000;
  private final AtomicLong unwarned = new AtomicLong();
  private final AtomicLong lastWarnNanos;

  /** One tenant's records dropped since the last announcement. */
  private static final class Episode {
    final Instant openedAt;
    final String reason;
    Instant first;
    Instant last;
    long count;

    Episode(Instant openedAt, String reason) {
      this.openedAt = openedAt;
      this.reason = reason;
    }
  }

  /**
   * @param boundBytes the process's bound on unacknowledged records (KASOKU_EDGE_LOG_BUFFER)
   * @param instances edge verticles sharing it
   * @param ticker paces the drop warnings
   */
  public LogShipping(String node, long boundBytes, int instances, NotificationStore notifications, Clock clock,
                     Ticker ticker, MeterRegistry registry) {
    if (boundBytes < 1 || instances < 1) {
      throw new IllegalArgumentException("bound and instances must be positive");
    }
    this.node = node;
    this.boundBytes = boundBytes;
    this.instances = instances;
    this.notifications = notifications;
    this.clock = clock;
    this.ticker = ticker;
    this.lastWarnNanos = new AtomicLong(ticker.read() - WARN_EVERY_MS * 1_000_000);
    this.registry = registry;
    this.dropped = Counter.builder(DROPPED_METER)
        .description("Access-log records the edge dropped unacknowledged (its log buffer was full, or it stopped)")
        .register(registry);
    this.buffered = Gauge.builder(BUFFER_METER, bufferedBytes, LongAdder::sum)
        .description("Approximate heap held by access-log records no logging instance has acknowledged yet")
        .baseUnit("bytes")
        .register(registry);
    this.possibleDuplicates = Counter.builder(POSSIBLE_DUPLICATES_METER)
        .description("Access-log batches acknowledged after an earlier attempt timed out (maybe stored twice)")
        .register(registry);
  }

  /** A batch was acknowledged after an earlier attempt of it timed out. */
  void possibleDuplicate() {
    possibleDuplicates.increment();
  }

  /** The share of the bound one verticle's buffer may hold (at least one record's worth). */
  long perInstanceBytes() {
    return Math.max(LogOutbox.RECORD_OVERHEAD * 2, boundBytes / instances);
  }

  void buffered(long deltaBytes, int deltaRecords) {
    bufferedBytes.add(deltaBytes);
    bufferedRecords.add(deltaRecords);
  }

  /** Records no logging instance has acknowledged yet, over every verticle. */
  public long bufferedRecords() {
    return bufferedRecords.sum();
  }

  /** Approximate heap held by unacknowledged records now, over every verticle. */
  public long bufferedBytes() {
    return bufferedBytes.sum();
  }

  /** Records dropped unacknowledged since the process started. */
  public long droppedRecords() {
    return droppedRecords.get();
  }

  /** Counts dropped records and adds them to their tenants' open episodes. */
  void dropped(List<AccessLogRecord> records, String reason) {
    if (records.isEmpty()) {
      return;
    }
    droppedRecords.addAndGet(records.size());
    dropped.increment(records.size());
    Instant now = clock.instant();
    synchronized (episodes) {
      for (AccessLogRecord r : records) {
        if (r.tenant() == null || !Ids.isValid(r.tenant())) {
          continue; // a request no site answered belongs to no tenant's log
        }
        Episode e = episodes.get(r.tenant());
        if (e != null && !now.isBefore(e.openedAt.plus(EPISODE_MAX))) {
          announce(r.tenant(), episodes.remove(r.tenant()));
          e = null;
        }
        if (e == null) {
          e = new Episode(now, reason);
          episodes.put(r.tenant(), e);
        }
        e.count++;
        if (e.first == null || r.ts().isBefore(e.first)) {
          e.first = r.ts();
        }
        if (e.last == null || r.ts().isAfter(e.last)) {
          e.last = r.ts();
        }
      }
      anyEpisode = !episodes.isEmpty();
    }
    warnDropped(records.size(), reason);
  }

  /** One warning per {@link #WARN_EVERY_MS} at most: past the bound every new record drops an old one. */
  private void warnDropped(int n, String reason) {
    long since = unwarned.addAndGet(n);
    long now = ticker.read();
    long last = lastWarnNanos.get();
    if (now - last >= WARN_EVERY_MS * 1_000_000 && lastWarnNanos.compareAndSet(last, now)) {
      unwarned.addAndGet(-since);
      LOG.log(Level.WARNING, "{0} access-log records dropped unacknowledged since the last warning ({1} in all): {2}",
          since, droppedRecords.get(), reason);
    }
  }

  /** A logging instance acknowledged a batch: the open episodes end and are announced. */
  void delivered() {
    if (anyEpisode) {
      announceAll();
    }
  }

  private void announceAll() {
    synchronized (episodes) {
      episodes.forEach(this::announce);
      episodes.clear();
      anyEpisode = false;
    }
  }

  private void announce(String tenant, Episode e) {
    String message = e.count + " access-log records of " + e.first + " to " + e.last + " (UTC) were dropped on edge "
        + node + ": " + e.reason;
    Future<Void> f = notifications.append(new Notification(Ids.random(20), tenant, clock.instant(), NOTIFICATION_KIND,
        message)).onFailure(t -> LOG.log(Level.WARNING, "tenant " + tenant + ": log-drop notification not stored ("
        + message + "): " + t.getMessage()));
    synchronized (announcing) {
      announcing.removeIf(Future::isComplete);
      announcing.add(f);
    }
  }

  /**
   * Announces the episodes still open (the edge stops: nothing will end them) and removes the meters;
   * completes when the announcements are stored, or after {@code timeoutMs}.
   */
  public Future<Void> close(long timeoutMs) {
    announceAll();
    registry.remove(dropped);
    registry.remove(buffered);
    registry.remove(possibleDuplicates);
    List<Future<Void>> pending;
    synchronized (announcing) {
      pending = new ArrayList<>(announcing);
    }
    return Future.join(pending).<Void>mapEmpty().timeout(timeoutMs, java.util.concurrent.TimeUnit.MILLISECONDS)
        .recover(t -> Future.succeededFuture());
  }
}
