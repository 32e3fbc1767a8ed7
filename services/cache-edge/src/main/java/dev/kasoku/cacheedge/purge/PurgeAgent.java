package dev.kasoku.cacheedge.purge;

import dev.kasoku.cacheedge.storage.Selection;
import dev.kasoku.cacheedge.storage.Storage;
import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages.NodeHeartbeat;
import dev.kasoku.common.bus.Messages.PurgeAck;
import dev.kasoku.common.bus.Messages.PurgeCommand;
import dev.kasoku.common.bus.Messages.PurgeScope;
import dev.kasoku.common.model.PurgeRecord;
import dev.kasoku.common.prometheus.Prometheus;
import dev.kasoku.common.store.PurgeLog;
import dev.kasoku.common.time.Ticker;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The edge side of purge: applies every purge of the durable purge log to this edge's storage
 * exactly once, as soon as it hears of it, and acks it.
 *
 * <p>Two paths lead a purge here and either is enough: the {@link PurgeCommand} published on
 * {@code kasoku.purge} (fast: a millisecond after the API accepted it) and the purge log itself,
 * read from the last sequence applied on start and then every {@link Settings#checkInterval} (the
 * safety net: a message lost to a partition, a stale bus subscription or a paused consumer delays a
 * purge by at most that interval, it never drops it). Because commands can arrive out of order and
 * log sequences need not be contiguous, the agent keeps a <em>watermark</em> (every purge with a
 * sequence up to it has been applied, advanced only by reading the log, which returns all of them)
 * and the set of sequences above it already applied from the bus, so nothing is applied twice.
 *
 * <p>On start the watermark is the log's last sequence: the memory storage is empty then, so older
 * purges have nothing to remove (a persistent storage tier would have to persist the watermark with
 * its objects). Rejoining the cluster after a partition needs no special path: the periodic log read
 * covers it within one interval, whether or not the bus subscription survived.
 *
 * <p>The log is bounded (the purge service trims it). An edge cut off for longer than its retention
 * finds, on its next read, that the log was trimmed past its watermark: it cannot tell what it
 * missed, so it drops its whole cache (every tenant's) before going on. Over-purging costs origin
 * fetches; missing a purge would serve content a customer removed.
 *
 * <p>Each applied purge is acked on {@code kasoku.purge.ack} (published, so every purge instance
 * sees it) with the number of stored objects it removed or marked stale ("all" is applied as a
 * generation bump in O(1) and reports 0; a tag purge reports the objects its marker hid). The agent
 * also publishes this edge's {@link NodeHeartbeat}, from which the purge service knows which edges
 * must ack. Everything runs on this verticle's context, so no state here needs locking.
 *
 * <p>A tag purge is applied as a marker in the storage (O(1), see {@code MemoryStorage}) and acked at
 * once; the objects it hides are then reclaimed by {@link Storage#reclaim} in steps of at most
 * {@link #RECLAIM_KEYS} objects or {@link #RECLAIM_STEP_NANOS}, run on this context with a
 * {@link #RECLAIM_PAUSE_MS} pause between steps, so the event loop this agent shares with others
 * is never held for long. The periodic log check also restarts reclaim if anything is pending.
 */
public final class PurgeAgent extends VerticleBase {
  private static final System.Logger LOG = System.getLogger(PurgeAgent.class.getName());
  /** The role this agent announces in its heartbeats. */
  public static final String ROLE = "cache-edge";
  static final int REPLAY_BATCH = 1000;
  /** Applying a purge that takes this long is logged (it held this agent's event loop). */
  static final long SLOW_APPLY_MS = 20;
  /** At most this many objects reclaimed per step. */
  static final int RECLAIM_KEYS = 4096;
  /** A reclaim step stops after about this long. */
  static final long RECLAIM_STEP_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
  /** Pause between reclaim steps, leaving the event loop to other work. */
  static final long RECLAIM_PAUSE_MS = 1;

  /**
   * @param checkInterval how often the purge log is read for purges the bus did not deliver (≤ 1 s)
   * @param heartbeatInterval how often this edge announces itself
   */
  public record Settings(Duration checkInterval, Duration heartbeatInterval) {
    public static final Duration DEFAULT_CHECK_INTERVAL = Duration.ofMillis(500);
    public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(1);

    public Settings {
      if (checkInterval.toMillis() < 1 || checkInterval.toMillis() > 1000) {
        throw new IllegalArgumentException("checkInterval must be within 1ms..1s, was " + checkInterval);
      }
      if (heartbeatInterval.toMillis() < 1) {
        throw new IllegalArgumentException("heartbeatInterval must be positive, was " + heartbeatInterval);
      }
    }

    public static Settings defaults() {
      return new Settings(DEFAULT_CHECK_INTERVAL, DEFAULT_HEARTBEAT_INTERVAL);
    }
  }

  private final PurgeLog log;
  private final Storage storage;
  private final PurgeGuard guard;
  private final UrlKeys urlKeys;
  private final String node;
  private final Clock clock;
  private final Ticker ticker;
  private final Settings settings;

  /** Watermark before the log could be read: every bus command is applied, none skipped. */
  private static final long UNKNOWN = -1;
  /**
   * When the log could not be read at start (store down), the watermark is set later from the log's
   * end minus this many records, which are applied again: re-applying a purge is harmless, and it
   * covers a purge appended just before that read whose bus message arrives just after it.
   */
  static final long LATE_START_REPLAY = 1000;

  private long watermark = UNKNOWN;
  private final TreeSet<Long> appliedAbove = new TreeSet<>();
  private boolean replaying;
  private MessageConsumer<PurgeCommand> consumer;
  private final AtomicLong appliedCount = new AtomicLong();
  private final AtomicLong gapsRecovered = new AtomicLong();
  private final AtomicLong logRecordsRead = new AtomicLong();
  private volatile long lastAppliedSeq;
  private volatile LastApply lastApply;
  private boolean reclaiming;
  private Timer applyLag;
  private static final Duration[] LAG_BUCKETS = {Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
      Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
      Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(10),
      Duration.ofSeconds(30), Duration.ofSeconds(60)};

  /** The most recent purge applied: what it was, how many objects it affected, how long applying took. */
  public record LastApply(String id, PurgeScope scope, long affected, long nanos) {}

  public PurgeAgent(PurgeLog log, Storage storage, PurgeGuard guard, UrlKeys urlKeys, String node, Clock clock,
                    Settings settings) {
    this(log, storage, guard, urlKeys, node, clock, Ticker.system(), settings);
  }

  /** @param ticker measures how long applying a purge takes */
  public PurgeAgent(PurgeLog log, Storage storage, PurgeGuard guard, UrlKeys urlKeys, String node, Clock clock,
                    Ticker ticker, Settings settings) {
    this.ticker = ticker;
    this.log = log;
    this.storage = storage;
    this.guard = guard;
    this.urlKeys = urlKeys;
    this.node = node;
    this.clock = clock;
    this.settings = settings;
  }

  @Override
  public Future<?> start() {
    applyLag = Timer.builder("kasoku.purge.apply.lag")
        .description("Time from the purge service accepting a purge to this edge having applied it")
        .serviceLevelObjectives(LAG_BUCKETS)
        .register(Prometheus.registry(vertx));
    // A fresh edge holds nothing older than the log's current end, so it starts from there. When the
    // store is down at start the edge still starts (alive, serving) and the periodic check sets the
    // watermark once the log answers; meanwhile every purge from the bus is applied.
    Future<Void> initial = log.lastSeq()
        .map(last -> {
          watermark = last;
          lastAppliedSeq = last;
          return (Void) null;
        })
        .recover(e -> {
          LOG.log(System.Logger.Level.WARNING, "purge log unreadable at start on " + node
              + "; the periodic check retries: " + e.getMessage());
          return Future.succeededFuture();
        });
    return initial.compose(v -> {
      consumer = Addresses.PURGE.consumer(vertx.eventBus(), m -> onCommand(m.body()));
      vertx.setPeriodic(settings.checkInterval().toMillis(), t -> {
        replay();
        reclaimSoon();
      });
      heartbeat();
      vertx.setPeriodic(settings.heartbeatInterval().toMillis(), t -> heartbeat());
      return consumer.completion();
    });
  }

  /** The highest purge sequence applied by this edge (for health output and tests). */
  public long lastAppliedSeq() {
    return lastAppliedSeq;
  }

  /** The most recent purge applied (null before the first); for benchmarks and diagnostics. */
  public LastApply lastApply() {
    return lastApply;
  }

  /** Purges applied since start, whichever path brought them. */
  public long appliedCount() {
    return appliedCount.get();
  }

  /** Purge records read back from the log by the periodic check (those the bus had not brought, and any read with them). */
  public long logRecordsRead() {
    return logRecordsRead.get();
  }

  /**
   * Stops taking purges from the bus (messages are buffered by Vert.x), leaving the log replay as the
   * only path: an operator's diagnostic, and how tests show that a lost message only delays a purge.
   */
  public Future<Void> pauseBus() {
    Promise<Void> paused = Promise.promise();
    context.runOnContext(v -> {
      consumer.pause();
      paused.complete();
    });
    return paused.future();
  }

  /** Takes purges from the bus again. */
  public void resumeBus() {
    context.runOnContext(v -> consumer.resume());
  }

  private void onCommand(PurgeCommand c) {
    if (c.seq() <= watermark || appliedAbove.contains(c.seq())) {
      return;
    }
    apply(c.id(), c.seq(), c.tenant(), c.scope(), c.targets(), c.soft(), c.issuedAt());
    appliedAbove.add(c.seq());
  }

  /**
   * Applies what the bus did not bring. First the log's last sequence: when every sequence from
   * the watermark up to a point has been applied from the bus, the watermark moves there without
   * reading those records again (they are applied, whatever the log holds for them). Only the rest,
   * usually the few purges whose message is still on its way, is read from the log; repeats while
   * a read comes back full.
   */
  private void replay() {
    if (replaying) {
      return;
    }
    replaying = true;
    if (watermark == UNKNOWN) {
      log.lastSeq()
          .onSuccess(last -> {
            watermark = Math.max(0, last - LATE_START_REPLAY);
            appliedAbove.headSet(watermark, true).clear();
          })
          .onComplete(ar -> replaying = false);
      return;
    }
    log.lastSeq()
        .compose(last -> {
          advanceOverApplied(last);
          if (watermark >= last) {
            return Future.succeededFuture(List.<PurgeRecord>of());
          }
          long from = watermark;
          return log.readAfter(from, REPLAY_BATCH)
              .compose(records -> records.isEmpty() || records.get(0).seq() == from + 1
                  ? Future.succeededFuture(records)
                  : checkGap(from).map(records));
        })
        .onSuccess(records -> {
          logRecordsRead.addAndGet(records.size());
          for (PurgeRecord r : records) {
            if (r.seq() > watermark && !appliedAbove.contains(r.seq())) {
              apply(r.id(), r.seq(), r.tenant(), r.scope(), r.targets(), r.soft(), r.createdAt());
            }
          }
          if (!records.isEmpty()) {
            watermark = Math.max(watermark, records.get(records.size() - 1).seq());
            appliedAbove.headSet(watermark, true).clear();
          }
          replaying = false;
          if (records.size() == REPLAY_BATCH) {
            replay();
          }
        })
        .onFailure(e -> {
          replaying = false;
          LOG.log(System.Logger.Level.WARNING, "purge log read failed on " + node + " (watermark " + watermark
              + "); retrying in " + settings.checkInterval().toMillis() + "ms: " + e);
        });
  }

  /**
   * The log skips sequences after the watermark: erased or never written (harmless), or trimmed away
   * before this edge read them (then it cannot know what it missed, so it drops its whole cache).
   */
  private Future<Void> checkGap(long from) {
    return log.trimmedThrough().map(trimmed -> {
      if (trimmed > from) {
        guard.appliedToEverything();
        long removed = storage.removeAll();
        gapsRecovered.incrementAndGet();
        LOG.log(System.Logger.Level.WARNING, "edge " + node + " fell behind the purge log (applied up to " + from
            + ", log kept from " + (trimmed + 1) + "): dropped the whole cache, " + removed + " objects");
      }
      return null;
    });
  }

  /** How often this edge dropped its whole cache because it fell behind the purge log's retention. */
  public long gapsRecovered() {
    return gapsRecovered.get();
  }

  /** Moves the watermark over the run of sequences right above it that were all applied, up to {@code last}. */
  private void advanceOverApplied(long last) {
    long next = watermark + 1;
    for (long seq : appliedAbove) {
      if (seq != next || seq > last) {
        break;
      }
      next++;
    }
    if (next - 1 > watermark) {
      watermark = next - 1;
      appliedAbove.headSet(watermark, true).clear();
    }
  }

  /**
   * @param acceptedAt when the purge service accepted the purge (the command's issue time, or the
   *     log record's creation time for a purge read from the log); the time from it to the end of
   *     this apply is {@code kasoku_purge_apply_lag_seconds}
   */
  private void apply(String id, long seq, String tenant, PurgeScope scope, List<String> targets, boolean soft,
                     Instant acceptedAt) {
    List<Selection> selections = selections(tenant, scope, targets);
    long started = ticker.read();
    guard.applied(selections, soft);
    long affected = 0;
    if (scope == PurgeScope.ALL && !soft) {
      storage.bumpGeneration(tenant); // O(1): every object of an older generation is gone for lookups
    } else {
      for (Selection s : selections) {
        affected += storage.invalidate(s, soft);
      }
    }
    long tookNanos = ticker.read() - started;
    long tookMs = TimeUnit.NANOSECONDS.toMillis(tookNanos);
    if (tookMs >= SLOW_APPLY_MS) {
      LOG.log(System.Logger.Level.INFO, "purge " + id + " (" + scope + ", tenant " + tenant + ") applied on " + node
          + " in " + tookMs + " ms: " + affected + " objects");
    }
    lastApply = new LastApply(id, scope, affected, tookNanos);
    if (acceptedAt != null && applyLag != null) {
      // clocks of different machines may disagree by a little: a negative lag is recorded as none
      applyLag.record(Math.max(0, clock.millis() - acceptedAt.toEpochMilli()), TimeUnit.MILLISECONDS);
    }
    appliedCount.incrementAndGet();
    lastAppliedSeq = Math.max(lastAppliedSeq, seq);
    Addresses.PURGE_ACK.publish(vertx.eventBus(), new PurgeAck(id, node, affected));
    reclaimSoon();
  }

  /** What a purge selects; each URL or prefix target is split into host and path here, once. */
  private List<Selection> selections(String tenant, PurgeScope scope, List<String> targets) {
    List<Selection> out = new ArrayList<>(targets.size());
    switch (scope) {
      case URL -> {
        Set<String> keys = new LinkedHashSet<>();
        for (String target : targets) {
          PurgeTarget t = PurgeTarget.parse(target);
          if (t != null) {
            keys.addAll(urlKeys.primaryKeys(tenant, t.host(), t.path()));
          }
        }
        keys.forEach(k -> out.add(new Selection.Key(tenant, k)));
      }
      case PREFIX -> {
        for (String target : targets) {
          PurgeTarget t = PurgeTarget.parse(target);
          if (t != null) {
            out.add(new Selection.Prefix(tenant, t.host(), t.path()));
          }
        }
      }
      case TAG -> targets.forEach(tag -> out.add(new Selection.Tag(tenant, tag)));
      case HOST -> targets.forEach(host -> out.add(new Selection.Host(tenant, host)));
      case ALL -> out.add(new Selection.Tenant(tenant));
      default -> throw new IllegalStateException(scope.name());
    }
    return out;
  }

  /** Starts reclaim steps unless they are running or there is nothing to reclaim. */
  private void reclaimSoon() {
    if (!reclaiming && storage.pendingReclaim() > 0) {
      reclaiming = true;
      vertx.setTimer(RECLAIM_PAUSE_MS, t -> reclaimStep());
    }
  }

  private void reclaimStep() {
    boolean more;
    try {
      more = storage.reclaim(RECLAIM_KEYS, RECLAIM_STEP_NANOS);
    } catch (RuntimeException e) {
      reclaiming = false;
      LOG.log(System.Logger.Level.ERROR, "purge reclaim step failed on " + node + "; retried at the next check", e);
      return;
    }
    if (more) {
      vertx.setTimer(RECLAIM_PAUSE_MS, t -> reclaimStep());
    } else {
      reclaiming = false;
    }
  }

  private void heartbeat() {
    Long applied = watermark == UNKNOWN ? null : watermark;
    Addresses.NODE_HEARTBEAT.publish(vertx.eventBus(), new NodeHeartbeat(node, List.of(ROLE), Instant.now(clock), applied));
  }
}
