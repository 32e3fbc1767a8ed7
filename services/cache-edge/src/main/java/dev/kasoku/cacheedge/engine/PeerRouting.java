package dev.kasoku.cacheedge.engine;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.kasoku.cacheedge.cluster.ClusterView;
import dev.kasoku.cacheedge.cluster.PeerClient;
import dev.kasoku.cacheedge.cluster.PeerException;
import dev.kasoku.cacheedge.cluster.PeerRequest;
import dev.kasoku.cacheedge.policy.CanonicalRequest;
import dev.kasoku.cacheedge.policy.CompiledSite;
import dev.kasoku.cacheedge.purge.PurgeGuard;
import dev.kasoku.cacheedge.storage.Selection;
import dev.kasoku.common.model.EdgeMember;
import dev.kasoku.common.time.Ticker;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Which edge a miss is filled through, shared by every edge server instance of a process: the key's
 * owner in the cluster ({@link ClusterView#owner}) when that is another live, unsuspected edge and
 * peer fill is on, for the process and for the key's site, else the origin (null).
 *
 * <p><b>Suspects.</b> An owner that failed a request (no connection within the connect budget,
 * no answer in time, refused us, answered nonsense) is skipped until its heartbeat proves it alive:
 * until the cluster view shows a heartbeat of the owner recorded after the one the view held when
 * it failed. Its keys go to the origin directly meanwhile. A live owner that had one slow moment is
 * asked again after a heartbeat or two (about a second); a dead one records no heartbeat and is
 * never asked again until its lease runs out and it drops out of the view. The heartbeats compared
 * are both the owner's own clock readings, so clock differences between edges do not matter.
 *
 * <p><b>Hot keys</b> (groupcache's hot mirroring): every routed request counts against its key in a
 * one-second window; a key seen {@link #hotPerSecond} times or more in the current window is hot
 * here, and the owner's answer for it is stored locally too, so a hot object is served from every
 * edge's memory rather than through one owner. The counters are a bounded Caffeine map (at most
 * {@value #HOT_KEYS_TRACKED} keys, the least recently counted dropped first): a key that drops out
 * starts cold again, which only delays its mirroring.
 *
 * <p><b>Latency.</b> Each request routed to an owner is timed from its send to the owner's head (or
 * to the failure that skipped it), by outcome: {@code kasoku_edge_peer_latency_seconds{outcome}},
 * with buckets from a quarter of a millisecond (a loopback or same-rack hop) up to the failure
 * budgets. It is what the hop costs a request before a byte of the body moves.
 *
 * <p>Thread-safe; counters are read by the meters at scrape time.
 */
public final class PeerRouting {
  /** Requests per second for one key at which an edge stores the owner's answers itself. */
  public static final int DEFAULT_HOT_PER_SECOND = 10;
  /**
   * How far back the purges this edge applied are held against an owner's copy: an owner is taken
   * to have applied a purge older than this itself (the purge agent reads the log every 500 ms).
   */
  public static final Duration DEFAULT_PURGE_HORIZON = Duration.ofMinutes(1);
  static final int HOT_KEYS_TRACKED = 100_000;
  /** Bucket bounds of the peer latency histogram. */
  private static final Duration[] LATENCY_BUCKETS = {Duration.ofNanos(250_000), Duration.ofNanos(500_000),
      Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
      Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
      Duration.ofSeconds(1), Duration.ofSeconds(5)};
  private static final long WINDOW_NANOS = 1_000_000_000L;

  /** How a request routed to an owner ended, as counted by {@code kasoku_edge_peer_requests_total}. */
  public enum Outcome {
    /** The owner answered from its storage. */
    HIT,
    /** The owner filled it from the origin for us. */
    FILL,
    /** The owner had nothing and did not fill (its own fill collapsed into one that did not store). */
    NOT_HERE,
    /** The owner's copy predates a purge this edge applied and the owner had not: the origin was asked. */
    PURGED,
    UNREACHABLE, TIMEOUT, REFUSED, PROTOCOL;

    public String tag() {
      return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    static Outcome of(PeerException.Kind k) {
      return switch (k) {
        case UNREACHABLE -> UNREACHABLE;
        case TIMEOUT -> TIMEOUT;
        case REFUSED -> REFUSED;
        case PROTOCOL -> PROTOCOL;
      };
    }
  }

  private final Ticker ticker;
  /** By node: the heartbeat of the owner the view held when it failed. */
  private final Map<String, Instant> suspects = new ConcurrentHashMap<>();
  private final Cache<String, long[]> hot = Caffeine.newBuilder().maximumSize(HOT_KEYS_TRACKED).build();
  private final Map<Outcome, LongAdder> outcomes = new EnumMap<>(Outcome.class);
  private final LongAdder mirrored = new LongAdder();
  /** By outcome ordinal; null until {@link #meters} registered them. */
  private volatile Timer[] latency;
  private volatile Supplier<ClusterView> view;
  private volatile PeerClient client;
  private volatile boolean enabled = true;
  private volatile int hotPerSecond = DEFAULT_HOT_PER_SECOND;
  private volatile PurgeGuard purges;

  PeerRouting(Ticker ticker) {
    this.ticker = ticker;
    for (Outcome o : Outcome.values()) {
      outcomes.put(o, new LongAdder());
    }
  }

  /** The cluster is up: misses may go to their owners from now on. */
  public void attach(Supplier<ClusterView> view, PeerClient client) {
    this.client = client;
    this.view = view;
  }

  /**
   * The purges this edge applies: an owner's copy older than one that matches it is not used
   * ({@link #purgedSince}). Set before {@link #attach}.
   */
  public PeerRouting purges(PurgeGuard guard) {
    this.purges = guard;
    return this;
  }

  /** The cluster stopped: every miss goes to the origin. */
  public void detach() {
    this.view = null;
  }

  /** KASOKU_EDGE_PEER_FILL. */
  public PeerRouting enabled(boolean on) {
    this.enabled = on;
    return this;
  }

  public boolean enabled() {
    return enabled;
  }

  /** The hot-key threshold (requests per second for one key). */
  public PeerRouting hotPerSecond(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("the hot-key threshold must be at least 1 request per second");
    }
    this.hotPerSecond = n;
    return this;
  }

  PeerClient client() {
    return client;
  }

  /**
   * Registers {@code kasoku_edge_peer_latency_seconds{outcome}} in {@code registry} and times every
   * routed request in it from now on; returns the meters, for their owner to remove.
   */
  public List<Meter> meters(MeterRegistry registry) {
    Timer[] timers = new Timer[Outcome.values().length];
    for (Outcome o : Outcome.values()) {
      timers[o.ordinal()] = Timer.builder("kasoku.edge.peer.latency")
          .description("Time from a peer request's send to the owner's head, or to the failure that skipped it")
          .tag("outcome", o.tag())
          .serviceLevelObjectives(LATENCY_BUCKETS)
          .register(registry);
    }
    this.latency = timers;
    return List.of(timers);
  }

  /** This edge's monotonic time, nanoseconds: the start of a routed request, for {@link #count}. */
  long started() {
    return ticker.read();
  }

  /**
   * The owner to ask for {@code primaryKey} of {@code site}; null: ask the origin, always for a site
   * that turned peer fill off ({@code "peerFill": false}).
   */
  EdgeMember ownerFor(CompiledSite site, String primaryKey) {
    return site.peerFill() ? ownerFor(primaryKey) : null;
  }

  /** The owner to ask for {@code primaryKey}; null: ask the origin. */
  EdgeMember ownerFor(String primaryKey) {
    Supplier<ClusterView> v = view;
    if (!enabled || v == null) {
      return null;
    }
    ClusterView cv = v.get();
    if (cv == null || !cv.hasPeers()) {
      return null;
    }
    EdgeMember owner = cv.owner(primaryKey);
    if (owner == null || owner.node().equals(cv.self())) {
      return null;
    }
    Instant failedAt = suspects.get(owner.node());
    if (failedAt != null) {
      if (!owner.heartbeatAt().isAfter(failedAt)) {
        return null; // no heartbeat since it failed
      }
      suspects.remove(owner.node(), failedAt);
    }
    return owner;
  }

  /**
   * Where the request of a fill whose answer may be stored is sent: to the key's owner when the
   * request is a GET and another live edge owns the key ({@link PeerUpstream}, which falls back to
   * {@code origin}), else to {@code origin}. Sites whose config turns peer fill off always go to
   * {@code origin}. A revalidation asks the owner too: its answer replaces the copy held here; the
   * owner's copy is checked against the purges applied here.
   */
  Fill.Upstream upstreamFor(Fill.Spec spec, OriginUpstream origin) {
    CanonicalRequest canon = spec.canon();
    String primaryKey = canon.primaryKey();
    EdgeMember owner = "GET".equals(canon.method()) ? ownerFor(spec.site().compiled(), primaryKey) : null;
    if (owner == null) {
      return origin;
    }
    return new PeerUpstream(this, owner, PeerRequest.get(primaryKey, spec.clientHeaders()), origin,
        countAndCheckHot(primaryKey), spec.revalidating() != null,
        new PeerUpstream.CopyOf(spec.site().tenant(), canon.host(), canon.uri()));
  }

  /** This edge's clock, epoch milliseconds (the purge records' time base). */
  long nowMillis() {
    PurgeGuard g = purges;
    return g == null ? 0 : g.nowMillis();
  }

  /**
   * What the purges applied here make of an owner's {@code copy} whose origin request was sent no
   * earlier than {@code fetchedAtMs} (this edge's clock): {@link PurgeGuard.Verdict#KEEP} when none
   * applied since matches it, or when this edge records no purges.
   */
  PurgeGuard.Verdict purgedSince(Selection.Copy copy, long fetchedAtMs) {
    PurgeGuard g = purges;
    if (g == null) {
      return PurgeGuard.Verdict.KEEP;
    }
    return g.checkCopy(copy, fetchedAtMs, nowMillis() - DEFAULT_PURGE_HORIZON.toMillis());
  }

  /** Counts a request for the key; true when it is hot here (its owner's answers are mirrored). */
  boolean countAndCheckHot(String primaryKey) {
    long now = ticker.read();
    long[] w = hot.get(primaryKey, k -> new long[] {now, 0});
    synchronized (w) {
      if (now - w[0] >= WINDOW_NANOS) {
        w[0] = now;
        w[1] = 0;
      }
      return ++w[1] >= hotPerSecond;
    }
  }

  /**
   * {@code owner} (as the view held it when the request was routed) failed a request sent at
   * {@code startedNanos} ({@link #started}): skipped until a later heartbeat of it shows.
   */
  void suspect(EdgeMember owner, PeerException.Kind why, long startedNanos) {
    suspects.merge(owner.node(), owner.heartbeatAt(), (a, b) -> a.isAfter(b) ? a : b);
    record(Outcome.of(why), startedNanos, ticker.read());
  }

  /** A request sent at {@code startedNanos} ({@link #started}) ended with {@code o}. */
  void count(Outcome o, long startedNanos) {
    record(o, startedNanos, ticker.read());
  }

  private void record(Outcome o, long startedNanos, long now) {
    outcomes.get(o).increment();
    Timer[] timers = latency;
    if (timers != null) {
      timers[o.ordinal()].record(Math.max(0, now - startedNanos), TimeUnit.NANOSECONDS);
    }
  }

  void mirrored() {
    mirrored.increment();
  }

  /** Requests routed to an owner that ended with {@code o}, since start. */
  public long outcome(Outcome o) {
    return outcomes.get(o).sum();
  }

  /** Owner answers stored here because their key was hot (mirrored objects), since start. */
  public long mirroredObjects() {
    return mirrored.sum();
  }

  /** True while {@code node} is skipped: it failed and no later heartbeat of it was routed past since. */
  public boolean suspected(String node) {
    return suspects.containsKey(node);
  }
}
