package dev.kasoku.launcher;

import dev.kasoku.auth.AuthVerticle;
import dev.kasoku.cacheedge.CacheEdgeVerticle;
import dev.kasoku.cacheedge.tls.EdgeTlsEngine;
import dev.kasoku.cacheedge.warmup.EdgeWarmUp;
import dev.kasoku.common.api.ApiRouter;
import dev.kasoku.common.cluster.ClusterBootstrap;
import dev.kasoku.common.cluster.ClusterNode;
import dev.kasoku.common.config.ConfigException;
import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.config.OpenFileLimit;
import dev.kasoku.common.config.ServiceRole;
import dev.kasoku.common.config.Sizes;
import dev.kasoku.common.http.ApiException;
import dev.kasoku.common.http.Health;
import dev.kasoku.common.http.ProblemType;
import dev.kasoku.common.http.Problems;
import dev.kasoku.common.http.RequestIds;
import dev.kasoku.common.prometheus.Prometheus;
import dev.kasoku.common.service.ServiceContext;
import dev.kasoku.common.store.Store;
import dev.kasoku.common.store.factory.StoreFactory;
import dev.kasoku.config.ConfigVerticle;
import dev.kasoku.logging.LoggingVerticle;
import dev.kasoku.metrics.MetricsVerticle;
import dev.kasoku.portal.PortalVerticle;
import dev.kasoku.purge.PurgeVerticle;
import io.netty.channel.unix.Errors;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.lang.System.Logger.Level;
import java.net.BindException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * One running Kasoku process: the roles of {@code KASOKU_SERVICES} deployed on one Vert.x, sharing
 * one store, one health registry and one control-plane API listener. {@link Main} runs it from the
 * command line; tests start it in-process.
 *
 * <p>Start-up, in order, each step awaited, and everything already acquired released again if a
 * later step fails (so a refused start leaves no thread, port or lock behind):
 * <ol>
 *   <li>lock the data directory (one process per directory: the embedded store and spools are
 *       single-writer);</li>
 *   <li>build Vert.x, clustered when {@code KASOKU_CLUSTER} (bus codecs registered);</li>
 *   <li>listen on {@code KASOKU_API_PORT} with a boot router: {@code /healthz} answers 200 from
 *       here on (the process is alive, only slow), {@code /readyz} answers 503 naming what is not
 *       up yet, every other path 503 "starting";</li>
 *   <li>open the store (Redis or embedded) and load the API contract, in parallel;</li>
 *   <li>deploy each role's entry verticle; each attaches its handlers to the contract operations
 *       and registers its readiness checks;</li>
 *   <li>switch the listener to the contract's router plus {@code /healthz}, {@code /readyz} and
 *       {@code /openapi.yaml}; readiness turns 200 once the store, the cluster and every role
 *       are up.</li>
 * </ol>
 *
 * <p>Shutdown ({@link #stop}, on SIGTERM) runs against one deadline of {@code KASOKU_SHUTDOWN_GRACE}:
 * readiness turns 503 (load balancers stop sending); then, at the same time, the API listener and
 * the edge's listeners stop accepting, close their idle connections and let in-flight requests
 * finish until the deadline (the edge answers them with {@code Connection: close}, HTTP/2 clients
 * get GOAWAY); then the other roles are undeployed in reverse order, the store is closed and
 * Vert.x is closed, which leaves the cluster. Only then is the data directory unlocked.
 *
 * <p>The edge role's start includes its warm-up ({@code KASOKU_EDGE_WARMUP}, on by default):
 * synthetic traffic through its own listeners until its request path is compiled, so readiness
 * turns 200 only once a client would meet a warm edge.
 *
 * <p>Start-up also logs the process's open-file limit ({@link OpenFileLimit}), which sizes the
 * edge's global connection cap.
 */
public final class Launcher {
  private static final System.Logger LOG = System.getLogger(Launcher.class.getName());

  /** Readiness check names contributed by the launcher (roles add their own). */
  public static final String CHECK_STORE = "store";
  public static final String CHECK_ROLES = "roles";
  /** How long closing the store or Vert.x may take after the drain deadline. */
  static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);
  /** What the edge's undeploy may take past the grace (its listeners force-close at the grace). */
  static final Duration DRAIN_MARGIN = Duration.ofSeconds(1);

  /**
   * The entry verticle of each role, in deployment order: the control plane first, the edge last,
   * so an edge starts taking traffic only once everything it talks to is up.
   */
  static final List<RoleVerticle> ROLES = List.of(
      new RoleVerticle(ServiceRole.AUTH, AuthVerticle::new),
      new RoleVerticle(ServiceRole.CONFIG, ConfigVerticle::new),
      new RoleVerticle(ServiceRole.PURGE, PurgeVerticle::new),
      new RoleVerticle(ServiceRole.LOGGING, LoggingVerticle::new),
      new RoleVerticle(ServiceRole.METRICS, MetricsVerticle::new),
      new RoleVerticle(ServiceRole.PORTAL, PortalVerticle::new),
      new RoleVerticle(ServiceRole.CACHE_EDGE, CacheEdgeVerticle::new));

  /** A role and how to build its entry verticle. */
  record RoleVerticle(ServiceRole role, Function<ServiceContext, Deployable> factory) {}

  private final KasokuConfig config;
  private final Resources resources;
  private final HttpServer apiServer;
  private Future<Void> stopping;

  private Launcher(KasokuConfig config, Resources resources, HttpServer apiServer) {
    this.config = config;
    this.resources = resources;
    this.apiServer = apiServer;
  }

  /**
   * A stop signal arrived while the process may still be starting: an edge warm-up running now ends
   * at its next half-second window instead of at its bound ({@code KASOKU_EDGE_WARMUP}), so the start
   * completes and the stop can drain.
   */
  static void endWarmUps() {
    EdgeWarmUp.endRunning();
  }

  /** Starts every configured role; fails (having released everything) when any step fails. */
  public static Future<Launcher> start(KasokuConfig config) {
    long startNanos = System.nanoTime();
    logOpenFileLimit(OpenFileLimit.current());
    Resources r = new Resources(config);
    try {
      r.lock = DataDirectoryLock.acquire(config.dataDir());
    } catch (StartupException e) {
      return Future.failedFuture(e);
    }
    return ClusterBootstrap.start(config.cluster())
        .recover(e -> Future.failedFuture(e instanceof ConfigException ? e : new StartupException(
            "cannot join the cluster as " + config.cluster().host() + ":" + config.cluster().port()
                + " (KASOKU_CLUSTER_HOST, KASOKU_CLUSTER_PORT): " + e.getMessage(), e)))
        .compose(node -> {
          r.node = node;
          r.step("vert.x up", startNanos);
          return listen(r);
        })
        .compose(server -> {
          r.step("listening on the API port (booting)", startNanos);
          // independent of each other (the contract's schema compilation is the slowest step of
          // all); join, not all, so a store that opens after the contract failed is still closed
          return Future.join(openStore(r), ApiRouter.load(r.vertx()), r.vertx().fileSystem().readFile(ApiRouter.CONTRACT));
        })
        .compose(all -> {
          r.api = all.resultAt(1);
          r.contractText = all.resultAt(2);
          r.step("store open, API contract loaded", startNanos);
          return deployRoles(r);
        })
        .map(v -> {
          r.step("roles deployed", startNanos);
          r.serveApi();
          Launcher launcher = new Launcher(config, r, r.apiServer);
          launcher.logStarted(Duration.ofNanos(System.nanoTime() - startNanos));
          return launcher;
        })
        .recover(failure -> r.release(config.shutdownGrace()).transform(ignored -> Future.failedFuture(failure)));
  }

  /**
   * Logs the open-file limit in force (see {@link OpenFileLimit} for why the JVM, not the launcher,
   * raises the soft limit), and warns when the soft limit is still below the hard one.
   */
  static void logOpenFileLimit(OpenFileLimit files) {
    LOG.log(Level.INFO, "open files: soft limit " + limit(files.soft()) + ", hard limit " + limit(files.hard()));
    if (files.belowHard()) {
      LOG.log(Level.WARNING, "the soft open-file limit is below the hard one (the JVM runs with -XX:-MaxFDLimit):"
          + " start Kasoku with `ulimit -n " + limit(files.hard()) + "` or without that flag; the edge's connection"
          + " cap is sized from the soft limit");
    }
  }

  private static String limit(long n) {
    return n == OpenFileLimit.UNLIMITED ? "unlimited" : Long.toString(n);
  }

  private static Future<Store> openStore(Resources r) {
    return StoreFactory.open(r.vertx(), r.config)
        .recover(e -> Future.failedFuture(new StartupException("cannot open the " + storeName(r.config)
            + ": " + e.getMessage(), e)))
        .onSuccess(store -> r.store = store);
  }

  private static Future<Void> deployRoles(Resources r) {
    ServiceContext ctx = new ServiceContext(r.config, r.store, r.health, r.api, Clock.systemUTC());
    Future<Void> chain = Future.succeededFuture();
    for (RoleVerticle rv : ROLES) {
      ServiceRole role = rv.role();
      if (!r.config.runs(role)) {
        continue;
      }
      chain = chain
          .compose(v -> r.vertx().deployVerticle(rv.factory().apply(ctx))
              .recover(e -> Future.failedFuture(new StartupException("role " + role.id() + " failed to start: "
                  + e.getMessage(), e, !(e instanceof StartupException)))))
          .map(id -> {
            r.deployments.add(new Deployment(role, id));
            return null;
          });
    }
    return chain;
  }

  /**
   * Opens the API listener early, with the boot router: liveness answers while the store opens and
   * the roles deploy (a slow start is not a dead process), readiness says why it is not ready yet,
   * and every other path answers 503 "starting". {@link Resources#serveApi} swaps in the full router.
   * The listener is its own verticle so that it gets its own event loop: compiling the contract's
   * schemas keeps the start-up chain's loop busy for a while and must not delay {@code /healthz}.
   */
  private static Future<HttpServer> listen(Resources r) {
    Router boot = Router.router(r.vertx());
    boot.route().handler(RequestIds.handler());
    boot.route().handler(ApiRouter::noStore);
    r.health.mount(boot);
    boot.route().handler(ctx -> ctx.fail(new ApiException(ProblemType.UNAVAILABLE,
        "the process is starting; retry shortly", List.of(), Map.of("Retry-After", "1"))));
    boot.route().failureHandler(Problems.failureHandler());
    r.router = boot;
    return r.vertx().deployVerticle(new ApiListener(r)).map(id -> r.apiServer);
  }

  /** The control-plane API's HTTP listener; routes each request to the launcher's current router. */
  private static final class ApiListener extends VerticleBase {
    private final Resources r;

    ApiListener(Resources r) {
      this.r = r;
    }

    @Override
    public Future<?> start() {
      HttpServerOptions options = new HttpServerOptions().setHost(r.config.bindAddress()).setPort(r.config.apiPort());
      return vertx.createHttpServer(options)
          .requestHandler(request -> r.router.handle(request))
          .listen()
          .recover(e -> Future.failedFuture(addressInUse(e)
              ? new StartupException("cannot listen on " + r.config.bindAddress() + ":" + r.config.apiPort()
                  + " (KASOKU_API_PORT): " + e.getMessage(), e)
              : e))
          .onSuccess(server -> r.apiServer = server);
    }
  }

  /**
   * A listen that failed because the port is taken: {@link BindException} with NIO, Netty's
   * {@code NativeIoException} ("bind(..) failed ... Address already in use") with epoll.
   */
  static boolean addressInUse(Throwable e) {
    return e instanceof BindException
        || e instanceof Errors.NativeIoException && e.getMessage() != null
            && e.getMessage().contains("Address already in use");
  }

  /** The API listener's actual port (differs from the configured one when that is 0). */
  public int apiPort() {
    return apiServer.actualPort();
  }

  public KasokuConfig config() {
    return config;
  }

  /** The shared readiness registry (tests read its report). */
  public Health health() {
    return resources.health;
  }

  /**
   * Graceful shutdown (see the class comment). Idempotent: later calls return the first call's
   * Future. Completes when Vert.x is closed and the data directory released.
   */
  public synchronized Future<Void> stop() {
    if (stopping == null) {
      LOG.log(Level.INFO, "shutting down: draining (grace " + Sizes.formatDuration(config.shutdownGrace()) + ")");
      long t0 = System.nanoTime();
      stopping = resources.release(config.shutdownGrace())
          .onComplete(ar -> LOG.log(ar.succeeded() ? Level.INFO : Level.WARNING, "stopped in "
              + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) + " ms"
              + (ar.succeeded() ? "" : " with errors: " + ar.cause().getMessage())));
    }
    return stopping;
  }

  private void logStarted(Duration took) {
    for (Deployment d : resources.deployments) {
      LOG.log(Level.INFO, "role " + d.role().id() + " started: " + portsOf(d.role()));
    }
    ClusterNode node = resources.node;
    LOG.log(Level.INFO, "Kasoku started in " + took.toMillis() + " ms: node " + config.nodeId()
        + ", store " + resources.store.kind()
        + ", event bus " + (node.clustered() ? "clustered (" + node.members().size() + " members)" : "local")
        + ", transport " + (node.vertx().isNativeTransportEnabled() ? "epoll" : "nio")
        + ", api http://" + config.bindAddress() + ":" + apiPort());
  }

  private String portsOf(ServiceRole role) {
    if (role == ServiceRole.CACHE_EDGE) {
      return "edge http port " + config.edgePort() + ", https port " + config.edgeTlsPort()
          + " (TLS provider: " + EdgeTlsEngine.describe(config.edgeTlsProvider()) + "), at most "
          + config.edgeConnections().resolveMaxTotal(OpenFileLimit.current()) + " client connections ("
          + config.edgeConnections().maxPerClient() + " per address), "
          + (config.edgeWarmUp().isZero() ? "no warm-up (KASOKU_EDGE_WARMUP=0)"
              : "warmed up before readiness for at most " + Sizes.formatDuration(config.edgeWarmUp())
                  + " (KASOKU_EDGE_WARMUP)");
    }
    return "api port " + apiPort();
  }

  private static String storeName(KasokuConfig config) {
    return config.redisUrl().isPresent() ? "Redis store (KASOKU_REDIS_URL)" : "embedded store in "
        + config.dataDir().toAbsolutePath().normalize() + " (KASOKU_DATA_DIR)";
  }

  private record Deployment(ServiceRole role, String id) {}

  /**
   * What a start acquired so far; {@link #release} gives back whatever is there, in reverse order,
   * for a failed start as for a shutdown.
   */
  private static final class Resources {
    final KasokuConfig config;
    final Health health = new Health();
    final List<Deployment> deployments = Collections.synchronizedList(new ArrayList<>());
    DataDirectoryLock lock;
    volatile ClusterNode node;
    volatile Store store;
    /** The store answered a readiness check once. */
    volatile boolean storeReached;
    ApiRouter api;
    Buffer contractText;
    volatile HttpServer apiServer;
    /** What the API listener routes to: the boot router, then the full one. */
    volatile Router router;
    volatile boolean started;

    Resources(KasokuConfig config) {
      this.config = config;
      health.register(CHECK_STORE, this::storeCheck);
      health.register(ClusterNode.READINESS_CHECK, () -> node.readiness());
      health.register(CHECK_ROLES, this::rolesDeployed);
    }

    /**
     * The store reachable. A process that runs only the edge needs the store to start (its sites)
     * but not to serve: it answers from its cache and the sites it knows while the store is away,
     * so once the store answered, its loss no longer takes the edge out of the load balancer.
     */
    private Future<?> storeCheck() {
      Store s = store;
      if (s == null) {
        return Future.failedFuture("opening");
      }
      if (storeReached && config.services().equals(Set.of(ServiceRole.CACHE_EDGE))) {
        return Future.succeededFuture();
      }
      return s.ping().onSuccess(v -> storeReached = true);
    }

    /** Switches the listener from the boot router to the contract's router with every role's handlers. */
    void serveApi() {
      health.mount(api.extra());
      Prometheus.mount(api.extra(), node.metrics(), config.metricsToken());
      Buffer contract = contractText;
      api.extra().get("/" + ApiRouter.CONTRACT).handler(ctx -> ctx.response()
          .putHeader("Content-Type", "application/yaml")
          .end(contract));
      router = api.build();
      started = true;
    }

    Vertx vertx() {
      return node.vertx();
    }

    void step(String what, long startNanos) {
      LOG.log(Level.DEBUG, () -> "start-up: " + what + " after "
          + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos) + " ms");
    }

    /** Up once every role is deployed and serving, and while each still is. */
    Future<?> rolesDeployed() {
      if (!started) {
        return Future.failedFuture("starting");
      }
      List<Deployment> missing;
      synchronized (deployments) {
        missing = deployments.stream().filter(d -> !vertx().deploymentIDs().contains(d.id())).toList();
      }
      return missing.isEmpty() ? Future.succeededFuture()
          : Future.failedFuture("not running: " + missing.stream().map(d -> d.role().id()).toList());
    }

    Future<Void> release(Duration grace) {
      health.drain();
      List<String> errors = Collections.synchronizedList(new ArrayList<>());
      long deadline = System.nanoTime() + grace.toNanos();
      Future<Void> chain = Future.succeededFuture();
      if (apiServer != null) {
        chain = apiServer.shutdown(grace.toMillis(), TimeUnit.MILLISECONDS)
            .recover(e -> logged(errors, "API listener shutdown", e));
      }
      // The edge drains at the same time as the API listener, each for the whole grace: it serves no
      // API request and needs nothing the API does, and its clients are the ones a cut hurts most.
      List<Deployment> reversed = new ArrayList<>(deployments);
      Collections.reverse(reversed);
      Deployment edge = reversed.stream().filter(d -> d.role() == ServiceRole.CACHE_EDGE).findFirst().orElse(null);
      if (edge != null) {
        reversed.remove(edge);
        Future<Void> edgeDrained = vertx().undeploy(edge.id())
            .timeout(grace.plus(DRAIN_MARGIN).toMillis(), TimeUnit.MILLISECONDS)
            .recover(e -> logged(errors, "stopping role " + edge.role().id(), e));
        chain = Future.join(chain, edgeDrained).mapEmpty();
      }
      for (Deployment d : reversed) {
        chain = chain.compose(v -> vertx().undeploy(d.id())
            .timeout(Math.max(1000, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())), TimeUnit.MILLISECONDS)
            .recover(e -> logged(errors, "stopping role " + d.role().id(), e)));
      }
      if (store != null) {
        chain = chain.compose(v -> store.close()
            .timeout(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
            .recover(e -> logged(errors, "closing the " + store.kind() + " store", e)));
      }
      // Closing Vert.x terminates the event loops that the chain's callbacks would run on: finish
      // on a plain CompletableFuture, completed by whichever thread closes Vert.x.
      CompletableFuture<Void> done = new CompletableFuture<>();
      chain.onComplete(ignored -> {
        CompletableFuture<Void> closed = node == null ? CompletableFuture.completedFuture(null)
            : node.close().toCompletionStage().toCompletableFuture();
        closed.orTimeout(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).whenComplete((v, e) -> {
          if (e != null) {
            logged(errors, "closing Vert.x" + (node.clustered() ? " and leaving the cluster" : ""), e);
          }
          if (lock != null) {
            lock.release();
          }
          if (errors.isEmpty()) {
            done.complete(null);
          } else {
            done.completeExceptionally(new IllegalStateException(String.join("; ", errors)));
          }
        });
      });
      return Future.fromCompletionStage(done);
    }

    /** A failed shutdown step is logged and remembered, and the next step still runs. */
    private static Future<Void> logged(List<String> errors, String step, Throwable e) {
      LOG.log(Level.WARNING, step + " failed: " + e.getMessage(), e);
      errors.add(step + " failed: " + e.getMessage());
      return Future.succeededFuture();
    }
  }
}
