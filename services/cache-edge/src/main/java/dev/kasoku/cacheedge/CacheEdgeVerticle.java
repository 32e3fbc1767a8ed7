package dev.kasoku.cacheedge;

import dev.kasoku.cacheedge.cluster.EdgeCluster;
import dev.kasoku.cacheedge.cluster.PeerSettings;
import dev.kasoku.cacheedge.engine.Collapser;
import dev.kasoku.cacheedge.engine.EdgeRuntime;
import dev.kasoku.cacheedge.engine.EdgeServerVerticle;
import dev.kasoku.cacheedge.engine.PeerRouting;
import dev.kasoku.cacheedge.purge.EdgePurge;
import dev.kasoku.cacheedge.purge.PurgeAgent;
import dev.kasoku.cacheedge.sites.SiteTable;
import dev.kasoku.cacheedge.storage.MemoryStorage;
import dev.kasoku.cacheedge.storage.Selection;
import dev.kasoku.cacheedge.storage.Storage;
import dev.kasoku.cacheedge.telemetry.LogShipping;
import dev.kasoku.cacheedge.tls.CertificateBook;
import dev.kasoku.cacheedge.tls.EdgeTlsListener;
import dev.kasoku.cacheedge.warmup.EdgeWarmUp;
import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages;
import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.config.Sizes;
import dev.kasoku.common.http.Health;
import dev.kasoku.common.net.FreePorts;
import dev.kasoku.common.prometheus.Prometheus;
import dev.kasoku.common.service.ServiceContext;
import dev.kasoku.common.store.Store;
import dev.kasoku.common.time.Ticker;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Entry verticle of the cache-edge role.
 *
 * <p>It creates what the edge's listeners share, once: the {@link MemoryStorage} (one byte budget
 * for the process, not one per core), the {@link SiteTable}, origin health and the collapsing table
 * ({@link EdgeRuntime}); then deploys {@code instances} {@link EdgeServerVerticle}s on the edge
 * port and awaits them. The first instance binds (so a configured port 0 resolves to one real port),
 * the others join it on that port.
 *
 * <p>Sites are loaded from the store before the listeners open, reloaded on
 * {@code kasoku.config.changed}, and re-checked every {@code siteRefreshMs} against the store's change
 * epoch so a lost bus message is caught up within a second.
 *
 * <p>A deleted site (config change with version 0) loses its cached objects
 * ({@link dev.kasoku.cacheedge.storage.Storage#invalidate} per hostname) before the reload drops it;
 * a deleted tenant loses all of them at once ({@link dev.kasoku.cacheedge.storage.Storage#bumpGeneration}).
 * The purge consumer comes with its issue.
 *
 * <p>With a process config, the listeners also serve HTTPS on {@code KASOKU_EDGE_TLS_PORT}: one
 * {@link CertificateBook} per process holds every site's certificate (loaded before the listeners
 * open, kept current like the sites) and each listener instance picks the certificate by SNI.
 *
 * <p>With a process config whose {@code KASOKU_EDGE_WARMUP} is not 0, once the listeners are up the
 * edge warms its own request path ({@link EdgeWarmUp}: synthetic hits, misses and TLS handshakes
 * through its real listeners against an internal site and origin no tenant can reach) before
 * {@link #start} completes, so the process reports ready only with compiled code; the start line
 * says what the warm-up did. Clustering (peer listener, membership) follows it.
 */
public final class CacheEdgeVerticle extends VerticleBase {
  private static final System.Logger LOG = System.getLogger(CacheEdgeVerticle.class.getName());

  private final Store store;
  private final Health health;
  private final Clock clock;
  private final Ticker ticker;
  private final EdgeSettings configured;
  /** Process config for the HTTPS listener (secret key, TLS port); null: no HTTPS listener. */
  private final KasokuConfig tlsConfig;
  /** The peer listener and membership; null: this edge runs alone (not clustered). */
  private final PeerSettings peers;
  private EdgeCluster cluster;
  private CertificateBook certificates;
  private int tlsPort = -1;
  private final List<EdgeServerVerticle> servers = new CopyOnWriteArrayList<>();
  private EdgeRuntime runtime;
  private EdgePurge purge;
  private long refreshTimer = -1;
  private int port;
  private final List<Meter> meters = new ArrayList<>();
  private MeterRegistry registry;
  /** What the start-up warm-up did; null before it ended, or without one. */
  private volatile EdgeWarmUp.Report warmUp;

  public CacheEdgeVerticle(ServiceContext ctx) {
    this(ctx, EdgeSettings.from(ctx.config()));
  }

  /** With explicit settings (tests: short timeouts, small budgets, fewer instances). */
  public CacheEdgeVerticle(ServiceContext ctx, EdgeSettings settings) {
    this(ctx.store(), ctx.health(), ctx.clock(), settings, ctx.config());
  }

  /**
   * The edge alone, without the control-plane API (tests, {@link EdgeServerMain}): it only needs the
   * store for its sites, a health registry and a clock.
   */
  public CacheEdgeVerticle(Store store, Health health, Clock clock, EdgeSettings settings) {
    this(store, health, clock, settings, null);
  }

  /**
   * With the HTTPS listener on {@code tlsConfig.edgeTlsPort()} (sites' certificates by SNI, keys
   * opened with the key derived from its secret) when {@code tlsConfig} is not null.
   */
  public CacheEdgeVerticle(Store store, Health health, Clock clock, EdgeSettings settings, KasokuConfig tlsConfig) {
    this(store, health, clock, Ticker.system(), settings, tlsConfig);
  }

  /** @param ticker measures durations and deadlines (tests pass a fake one) */
  public CacheEdgeVerticle(Store store, Health health, Clock clock, Ticker ticker, EdgeSettings settings,
                           KasokuConfig tlsConfig) {
    this(store, health, clock, ticker, settings, tlsConfig,
        tlsConfig == null ? null : PeerSettings.from(tlsConfig).orElse(null));
  }

  /** With the peer listener and membership of {@code peers} (null: none), whatever the process config says. */
  public CacheEdgeVerticle(Store store, Health health, Clock clock, EdgeSettings settings, KasokuConfig tlsConfig,
                           PeerSettings peers) {
    this(store, health, clock, Ticker.system(), settings, tlsConfig, peers);
  }

  /**
   * @param ticker measures durations and deadlines (tests pass a fake one)
   * @param peers the peer listener and membership (null: none)
   */
  public CacheEdgeVerticle(Store store, Health health, Clock clock, Ticker ticker, EdgeSettings settings,
                           KasokuConfig tlsConfig, PeerSettings peers) {
    this.ticker = ticker;
    this.peers = peers;
    this.store = store;
    this.health = health;
    this.clock = clock;
    this.configured = settings;
    this.tlsConfig = tlsConfig;
  }

  @Override
  public Future<?> start() {
    EdgeSettings s = configured;
    purge = new EdgePurge(store.purgeLog(), clock, ticker, s.nodeId(),
        new MemoryStorage(s.memoryBytes(), s.maxObjectBytes(), s.maxVariants(), ticker), PurgeAgent.Settings.defaults());
    // every writer (request path, purge, config) goes through the purge-guarded storage
    Storage storage = purge.storage();
    SiteTable sites = new SiteTable(store.sites());
    MeterRegistry meterRegistry = Prometheus.registry(vertx);
    runtime = new EdgeRuntime(s, storage, sites, clock, ticker, new LogShipping(s.nodeId(), s.logBufferBytes(), s.instances(),
        store.notifications(), clock, ticker, meterRegistry));
    registerMeters(meterRegistry, runtime);
    MessageConsumer<Messages.ConfigChanged> consumer = Addresses.CONFIG_CHANGED.consumer(vertx.eventBus(), m -> {
      if (m.body().version() == 0) {
        // site deleted: its cached objects go with it (a re-created site must not see them)
        for (String host : sites.hostnamesOf(m.body().tenant(), m.body().site())) {
          storage.invalidate(new Selection.Host(m.body().tenant(), host), false);
        }
      }
      sites.reload().onFailure(t -> LOG.log(Level.WARNING, "site reload failed: {0}", t.getMessage()));
    });
    MessageConsumer<Messages.TenantDeleted> tenantDeleted = Addresses.TENANT_DELETED.consumer(vertx.eventBus(), m -> {
      // the tenant's objects are gone at once; its sites leave the table with the reload
      storage.bumpGeneration(m.body().tenant());
      sites.reload().onFailure(t -> LOG.log(Level.WARNING, "site reload failed: {0}", t.getMessage()));
    });
    refreshTimer = vertx.setPeriodic(s.siteRefreshMs(), id -> sites.refreshIfChanged()
        .onFailure(t -> LOG.log(Level.DEBUG, "site epoch check failed: {0}", t.getMessage())));
    health.register("role:cache-edge", () -> servers.size() == s.instances()
        ? Future.succeededFuture() : Future.failedFuture("edge listeners not up"));
    // every instance must bind the same port: a configured 0 is resolved to one free port first
    EdgeRuntime shared = s.port() == 0 ? runtime.withPort(FreePorts.probe(s.bindAddress())) : runtime;
    runtime = shared;
    Future<Void> tlsReady = Future.succeededFuture();
    EdgeTlsListener.Binding https = null;
    if (tlsConfig != null) {
      certificates = new CertificateBook(vertx, tlsConfig, store.sites(), clock, Duration.ofMillis(s.siteRefreshMs()));
      tlsPort = tlsConfig.edgeTlsPort() == 0 ? freePortOtherThan(s.bindAddress(), shared.settings().port())
          : tlsConfig.edgeTlsPort();
      https = new EdgeTlsListener.Binding(certificates, tlsPort);
      tlsReady = certificates.start();
    }
    EdgeTlsListener.Binding httpsBinding = https;
    Future<Void> certificatesLoaded = tlsReady;
    // a store that is down at start must not keep the edge down (alive, not ready): the epoch check loads later
    Future<Void> sitesLoaded = sites.reload().recover(t -> {
      LOG.log(Level.WARNING, "sites not loaded yet ({0}); retrying with the change-epoch check", t.getMessage());
      return Future.succeededFuture();
    });
    Future<String> deployed = sitesLoaded
        .compose(v -> certificatesLoaded)
        .compose(v -> vertx.deployVerticle(() -> track(new EdgeServerVerticle(shared, httpsBinding)),
            new DeploymentOptions().setInstances(s.instances())))
        .map(id -> {
          port = servers.get(0).actualPort();
          for (EdgeServerVerticle v : servers) {
            if (v.actualPort() != port) {
              throw new IllegalStateException("edge listeners bound different ports: " + port + " and " + v.actualPort());
            }
          }
          return id;
        });
    if (peers != null) {
      runtime.peers().enabled(peers.peerFill()).purges(purge.guard());
    }
    Duration warmUpBound = tlsConfig == null ? Duration.ZERO : tlsConfig.edgeWarmUp();
    Future<String> warmed = warmUpBound.isZero() ? deployed : deployed.compose(id ->
        new EdgeWarmUp(vertx, runtime, ticker, port, certificates == null ? -1 : servers.get(0).actualTlsPort(),
            warmUpBound).run().map(r -> {
              warmUp = r;
              return id;
            }));
    Future<?> clustered = warmed.compose(id -> peers == null ? Future.succeededFuture()
        : vertx.deployVerticle(cluster = new EdgeCluster(peers, s.nodeId(), storage, store.edgeMembers(), clock,
            peers.peerFill() ? servers.get(0).peerFiller() : null))
            .onSuccess(v -> runtime.peers().attach(cluster::view, cluster.client())));
    return Future.all(consumer.completion(), tenantDeleted.completion(), deployed.compose(id -> purge.deploy(vertx, sites)),
        warmed, clustered)
        .onSuccess(v ->
        LOG.log(Level.INFO, "edge listening on port {0} with {1} instance(s), {2} site hostname(s){3}; {4}", port,
            s.instances(), sites.size(), certificates == null ? ""
                : "; https port " + tlsPort + ", TLS provider: " + certificates.engine().description(),
            warmUp == null ? "no warm-up (KASOKU_EDGE_WARMUP=0)"
                : warmUp.describe() + " (KASOKU_EDGE_WARMUP=" + Sizes.formatDuration(warmUpBound) + ")"));
  }

  /** The edge side of purge (its agent applies the purge log to this edge's storage). */
  public EdgePurge purge() {
    return purge;
  }

  /**
   * A free port that is not {@code taken}. The probe socket of the HTTP port is closed already, so
   * the system may hand out the same number again; two Vert.x servers on one port share one
   * listener (the first one's options), and HTTPS would then be answered as plain HTTP.
   */
  private static int freePortOtherThan(String host, int taken) {
    for (int i = 0; i < 10; i++) {
      int p = FreePorts.probe(host);
      if (p != taken) {
        return p;
      }
    }
    throw new IllegalStateException("no free port on " + host + " other than " + taken);
  }

  private EdgeServerVerticle track(EdgeServerVerticle v) {
    servers.add(v);
    return v;
  }

  /**
   * The process's storage and collapsing meters, read at scrape time (nothing on the request path):
   * {@code kasoku_edge_objects}, {@code kasoku_edge_stored_bytes}, {@code kasoku_edge_storage_budget_bytes},
   * {@code kasoku_edge_evictions_total}, {@code kasoku_edge_collapsed_requests_total}, and peer fill's
   * {@code kasoku_edge_peer_requests_total{outcome}}, {@code kasoku_edge_peer_latency_seconds{outcome}} and
   * {@code kasoku_edge_peer_mirrored_total}. Removed on
   * stop, so an edge deployed again in the same process reports its own storage.
   */
  private void registerMeters(MeterRegistry registry, EdgeRuntime rt) {
    Storage storage = rt.storage();
    meters.add(Gauge.builder("kasoku.edge.objects", storage, st -> st.stats().entries())
        .description("Objects (variants) in the edge's cache").strongReference(true).register(registry));
    meters.add(Gauge.builder("kasoku.edge.stored", storage, st -> st.stats().weightedBytes()).baseUnit("bytes")
        .description("Bytes the edge's cached objects take of its budget").strongReference(true).register(registry));
    meters.add(Gauge.builder("kasoku.edge.storage.budget", storage, st -> st.stats().budgetBytes()).baseUnit("bytes")
        .description("The edge cache's byte budget (KASOKU_EDGE_MEMORY)").strongReference(true).register(registry));
    meters.add(FunctionCounter.builder("kasoku.edge.evictions", storage, st -> st.stats().evictions())
        .description("Objects the edge's cache evicted to stay within its budget").register(registry));
    meters.add(FunctionCounter.builder("kasoku.edge.collapsed.requests", rt.collapser(), Collapser::collapsed)
        .description("Requests that waited for another request's origin fetch instead of making their own")
        .register(registry));
    PeerRouting peerRouting = rt.peers();
    for (PeerRouting.Outcome o : PeerRouting.Outcome.values()) {
      meters.add(FunctionCounter.builder("kasoku.edge.peer.requests", peerRouting, pr -> pr.outcome(o))
          .tag("outcome", o.tag())
          .description("Misses this edge sent to the key's owner edge, by how they ended (peer fill)")
          .register(registry));
    }
    meters.add(FunctionCounter.builder("kasoku.edge.peer.mirrored", peerRouting, PeerRouting::mirroredObjects)
        .description("Owner answers this edge stored too because their key was hot here (mirrored objects)")
        .register(registry));
    meters.addAll(peerRouting.meters(registry));
    this.registry = registry;
  }

  @Override
  public Future<?> stop() {
    runtime.peers().detach();
    if (refreshTimer >= 0) {
      vertx.cancelTimer(refreshTimer);
    }
    if (registry != null) {
      meters.forEach(registry::remove);
      meters.clear();
    }
    // child deployments are undeployed before this stop() runs; nothing streams from storage now
    runtime.storage().close();
    // the servers drained their access-log buffers: announce what they had to drop
    Future<Void> announced = runtime.logs().close(2000);
    return certificates == null ? announced : Future.join(announced, certificates.stop());
  }

  /** The peer listener and membership; null when this edge is not clustered. */
  public EdgeCluster cluster() {
    return cluster;
  }

  /** What the start-up warm-up did; null when there was none (or it has not ended). */
  public EdgeWarmUp.Report warmUp() {
    return warmUp;
  }

  /** The HTTPS port (the configured one, or the one chosen for port 0); -1 without HTTPS. */
  public int tlsPort() {
    return tlsPort;
  }

  /** The certificates the HTTPS listener serves; null without HTTPS. */
  public CertificateBook certificates() {
    return certificates;
  }

  /** The port the edge listens on (the configured one, or the one chosen for port 0). */
  public int port() {
    return port;
  }

  /** What the edge's listeners share (storage, sites, health): for purge consumers and tests. */
  public EdgeRuntime runtime() {
    return runtime;
  }
}
