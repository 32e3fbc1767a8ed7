package dev.kasoku.cacheedge;

import dev.kasoku.cacheedge.engine.EdgeRuntime;
import dev.kasoku.cacheedge.engine.EdgeServerVerticle;
import dev.kasoku.cacheedge.sites.SiteTable;
import dev.kasoku.cacheedge.storage.MemoryStorage;
import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages;
import dev.kasoku.common.http.Health;
import dev.kasoku.common.service.ServiceContext;
import dev.kasoku.common.store.Store;
import java.time.Clock;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import java.lang.System.Logger.Level;
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
 * <p>Purge and tenant deletion consumers come with their issues; they will call
 * {@link dev.kasoku.cacheedge.storage.Storage#invalidate} and
 * {@link dev.kasoku.cacheedge.storage.Storage#bumpGeneration} on {@link #runtime()}'s storage.
 */
public final class CacheEdgeVerticle extends VerticleBase {
  private static final System.Logger LOG = System.getLogger(CacheEdgeVerticle.class.getName());

  private final Store store;
  private final Health health;
  private final Clock clock;
  private final EdgeSettings configured;
  private final List<EdgeServerVerticle> servers = new CopyOnWriteArrayList<>();
  private EdgeRuntime runtime;
  private long refreshTimer = -1;
  private int port;

  public CacheEdgeVerticle(ServiceContext ctx) {
    this(ctx, EdgeSettings.from(ctx.config()));
  }

  /** With explicit settings (tests: short timeouts, small budgets, fewer instances). */
  public CacheEdgeVerticle(ServiceContext ctx, EdgeSettings settings) {
    this(ctx.store(), ctx.health(), ctx.clock(), settings);
  }

  /**
   * The edge alone, without the control-plane API (tests, {@link EdgeServerMain}): it only needs the
   * store for its sites, a health registry and a clock.
   */
  public CacheEdgeVerticle(Store store, Health health, Clock clock, EdgeSettings settings) {
    this.store = store;
    this.health = health;
    this.clock = clock;
    this.configured = settings;
  }

  @Override
  public Future<?> start() {
    EdgeSettings s = configured;
    MemoryStorage storage = new MemoryStorage(s.memoryBytes(), s.maxObjectBytes(), s.maxVariants());
    SiteTable sites = new SiteTable(store.sites());
    runtime = new EdgeRuntime(s, storage, sites, clock);
    MessageConsumer<Messages.ConfigChanged> consumer = vertx.eventBus().consumer(Addresses.CONFIG_CHANGED,
        m -> sites.reload().onFailure(t -> LOG.log(Level.WARNING, "site reload failed: {0}", t.getMessage())));
    refreshTimer = vertx.setPeriodic(s.siteRefreshMs(), id -> sites.refreshIfChanged()
        .onFailure(t -> LOG.log(Level.DEBUG, "site epoch check failed: {0}", t.getMessage())));
    health.register("role:cache-edge", () -> servers.size() == s.instances()
        ? Future.succeededFuture() : Future.failedFuture("edge listeners not up"));
    // every instance must bind the same port: a configured 0 is resolved to one free port first
    EdgeRuntime shared = s.port() == 0 ? runtime.withPort(freePort(s.bindAddress())) : runtime;
    runtime = shared;
    Future<String> deployed = sites.reload()
        .compose(v -> vertx.deployVerticle(() -> track(new EdgeServerVerticle(shared)),
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
    return Future.all(consumer.completion(), deployed).onSuccess(v ->
        LOG.log(Level.INFO, "edge listening on port {0} with {1} instance(s), {2} site hostname(s)", port,
            s.instances(), sites.size()));
  }

  private static int freePort(String host) {
    try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(host))) {
      return probe.getLocalPort();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("no free port on " + host, e);
    }
  }

  private EdgeServerVerticle track(EdgeServerVerticle v) {
    servers.add(v);
    return v;
  }

  @Override
  public Future<?> stop() {
    if (refreshTimer >= 0) {
      vertx.cancelTimer(refreshTimer);
    }
    // child deployments are undeployed before this stop() runs; nothing streams from storage now
    runtime.storage().close();
    return Future.succeededFuture();
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
