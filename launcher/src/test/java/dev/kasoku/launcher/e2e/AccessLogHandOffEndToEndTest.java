package dev.kasoku.launcher.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.cacheedge.CacheEdgeVerticle;
import dev.kasoku.cacheedge.EdgeSettings;
import dev.kasoku.cacheedge.telemetry.LogShipping;
import dev.kasoku.common.api.ApiRouter;
import dev.kasoku.common.bus.RecordCodec;
import dev.kasoku.common.cluster.ClusterBootstrap;
import dev.kasoku.common.config.ConfigLoader;
import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.http.Health;
import dev.kasoku.common.model.Ids;
import dev.kasoku.common.model.Notification;
import dev.kasoku.common.model.TenantRole;
import dev.kasoku.common.prometheus.Prometheus;
import dev.kasoku.common.service.ServiceContext;
import dev.kasoku.common.store.embedded.EmbeddedStore;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.TempStores;
import dev.kasoku.common.testing.TestCredentials;
import dev.kasoku.logging.LoggingSettings;
import dev.kasoku.logging.LoggingVerticle;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The acknowledged access-log hand-off with the real parts: the edge's verticles and the logging
 * verticle on one Vert.x (the real bus), an embedded store, a real origin on loopback, records
 * downloaded back through the logs API. A batch the logging instance refuses, or whose answer is
 * lost, is resent and stored once; records served while no logging instance runs are all stored once
 * one starts; past the edge's bound the oldest are dropped, counted, and the tenant is told.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AccessLogHandOffEndToEndTest {
  private static final String SECRET = "hand-off-e2e-secret-key-of-32-characters!";
  private PrometheusMeterRegistry registry;
  private Vertx vertx;
  private Path dir;
  private EmbeddedStore store;
  private HttpServer origin;
  private WebClient http;
  private CacheEdgeVerticle edge;
  private HttpServer api;
  private String tenant;
  private String host;
  private String viewer;
  private KasokuConfig config;
  private final Instant from = Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(Duration.ofMinutes(5));

  @BeforeEach
  void start() {
    registry = Prometheus.newRegistry();
    vertx = Prometheus.instrument(Vertx.builder(), ClusterBootstrap.baseOptions(), registry).build();
    RecordCodec.registerAll(vertx);
    dir = TempStores.newDirectory();
    store = TempStores.embedded(vertx, dir.resolve("store"));
    origin = Await.result(vertx.createHttpServer().requestHandler(req -> req.response()
        .putHeader("Cache-Control", "max-age=60").putHeader("Content-Type", "text/plain")
        .end("page " + req.path())).listen(0, "127.0.0.1"));
    http = WebClient.create(vertx);
    tenant = "h" + Ids.random(10).toLowerCase();
    host = "www." + tenant + ".hand-off.test";
    Await.result(store.sites().put(tenant, "www", List.of(host),
        "{\"hostnames\":[\"" + host + "\"],\"origins\":[{\"url\":\"http://127.0.0.1:" + origin.actualPort() + "\"}]}",
        "test", Instant.now()));
    viewer = TestCredentials.apiKey(store, tenant, TenantRole.VIEWER);
  }

  @AfterEach
  void stop() {
    Await.result(store.close());
    Await.result(vertx.close());
    TempStores.deleteRecursively(dir);
  }

  /** The edge of a process configured with {@code extra} (one listener verticle on a free port). */
  private void startEdge(Map<String, String> extra) {
    Map<String, String> env = new HashMap<>(Map.of("KASOKU_SECRET_KEY", SECRET, "KASOKU_DATA_DIR", dir.toString(),
        "KASOKU_BIND_ADDRESS", "127.0.0.1", "KASOKU_EDGE_PORT", "0", "KASOKU_ALLOWED_ORIGIN_NETWORKS", "127.0.0.0/8",
        "KASOKU_NODE_ID", "edge-e2e", "KASOKU_EDGE_WARMUP", "1s"));
    env.putAll(extra);
    config = ConfigLoader.load(env);
    EdgeSettings settings = EdgeSettings.from(config).withInstances(1);
    edge = new CacheEdgeVerticle(store, new Health(), Clock.systemUTC(), settings);
    Await.result(vertx.deployVerticle(edge));
  }

  /** The logging role, and the API that serves its downloads. */
  private void startLogging() {
    ApiRouter router = Await.result(ApiRouter.load(vertx));
    ServiceContext ctx = new ServiceContext(config, store, new Health(), router, Clock.systemUTC());
    Await.result(vertx.deployVerticle(new LoggingVerticle(ctx, LoggingSettings.defaults())));
    api = Await.result(vertx.createHttpServer().requestHandler(router.build()).listen(0, "127.0.0.1"));
  }

  private void get(String path) {
    HttpResponse<Buffer> r = Await.result(http.get(edge.port(), "127.0.0.1", path).virtualHost(host).send());
    assertThat(r.statusCode()).isEqualTo(200);
  }

  /** How many times each path occurs in the tenant's downloaded log. */
  private Map<String, Integer> logged() {
    HttpResponse<Buffer> r = Await.result(http.get(api.actualPort(), "127.0.0.1", "/v1/tenants/" + tenant + "/logs")
        .addQueryParam("from", from.toString()).addQueryParam("to", Instant.now().plus(Duration.ofHours(1)).toString())
        .bearerTokenAuthentication(viewer).send());
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    Map<String, Integer> counts = new HashMap<>();
    if (r.body() == null) {
      return counts; // nothing stored yet
    }
    r.bodyAsString().lines().filter(l -> !l.isBlank())
        .forEach(l -> counts.merge(new JsonObject(l).getString("path"), 1, Integer::sum));
    return counts;
  }

  private LogShipping shipping() {
    return edge.runtime().logs();
  }

  private String scrape(String name) {
    return registry.scrape().lines().filter(l -> l.startsWith(name + " ")).findFirst().orElse(name + " (absent)");
  }

  private static void await(String what, long timeoutMs, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (!condition.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError(what + ": not within " + timeoutMs + " ms");
      }
      Thread.sleep(50);
    }
  }

  @Test
  void aBatchRefusedOrWhoseAnswerIsLostIsResentAndStoredOnce() throws Exception {
    startEdge(Map.of());
    startLogging();
    // the logging instance cannot store the tenant's records: a file stands where its directory goes
    Path blocker = config.logDir().resolve(tenant);
    Files.createDirectories(config.logDir());
    Files.writeString(blocker, "not a directory");
    List<String> refused = List.of("/refused-1", "/refused-2", "/refused-3");
    refused.forEach(this::get);
    Thread.sleep(2500); // the flush, and at least one more attempt, each refused
    assertThat(shipping().bufferedRecords()).as("kept while refused").isEqualTo(3);
    assertThat(logged()).isEmpty();
    Files.delete(blocker);
    await("refused records stored", 10_000, () -> logged().keySet().containsAll(refused));
    await("acknowledged", 5_000, () -> shipping().bufferedRecords() == 0);

    // the next answer is lost on the way back: the edge times out, resends, and the instance drops the copy
    AtomicBoolean lost = new AtomicBoolean();
    Handler<DeliveryContext<Object>> loseOneAnswer = dc -> {
      if (dc.message().body() instanceof Integer n && n > 0 && lost.compareAndSet(false, true)) {
        return; // not passed on: the reply never arrives
      }
      dc.next();
    };
    vertx.eventBus().addOutboundInterceptor(loseOneAnswer);
    get("/answer-lost");
    await("the answer lost", 5_000, lost::get);
    await("resent after the timeout and acknowledged", 15_000, () -> shipping().bufferedRecords() == 0);
    vertx.eventBus().removeOutboundInterceptor(loseOneAnswer);

    Map<String, Integer> logged = logged();
    for (String p : refused) {
      assertThat(logged.get(p)).as("%s stored once", p).isEqualTo(1);
    }
    assertThat(logged.get("/answer-lost")).as("stored once although sent twice").isEqualTo(1);
    assertThat(scrape("kasoku_log_duplicate_batches_total")).isEqualTo("kasoku_log_duplicate_batches_total 1.0");
    assertThat(scrape("kasoku_edge_log_possible_duplicates_total"))
        .isEqualTo("kasoku_edge_log_possible_duplicates_total 1.0");
    assertThat(scrape("kasoku_edge_log_dropped_total")).isEqualTo("kasoku_edge_log_dropped_total 0.0");
  }

  @Test
  void recordsServedWhileNoLoggingInstanceRunsAreAllStoredOnceOneStarts() throws Exception {
    startEdge(Map.of());
    List<String> paths = IntStream.range(0, 30).mapToObj(i -> "/while-absent-" + i).toList();
    for (int i = 0; i < paths.size(); i++) {
      get(paths.get(i));
      if (i % 10 == 9) {
        Thread.sleep(1100); // several batches, each attempted and kept
      }
    }
    await("every record buffered", 5_000, () -> shipping().bufferedRecords() == paths.size());
    assertThat(scrape("kasoku_edge_log_buffer_bytes")).isNotEqualTo("kasoku_edge_log_buffer_bytes 0.0");

    startLogging();
    await("every record stored", 15_000, () -> logged().keySet().containsAll(paths));
    await("acknowledged", 5_000, () -> shipping().bufferedRecords() == 0);
    Map<String, Integer> logged = logged();
    for (String p : paths) {
      assertThat(logged.get(p)).as("%s stored once", p).isEqualTo(1);
    }
    assertThat(shipping().droppedRecords()).isZero();
    assertThat(scrape("kasoku_edge_log_buffer_bytes")).isEqualTo("kasoku_edge_log_buffer_bytes 0.0");
    assertThat(Await.result(store.notifications().list(tenant, 10))).as("nothing was lost").isEmpty();
  }

  @Test
  void pastTheBoundTheOldestRecordsAreDroppedCountedAndTheTenantIsToldOnce() throws Exception {
    startEdge(Map.of("KASOKU_EDGE_LOG_BUFFER", "16k"));
    List<String> paths = IntStream.range(0, 100).mapToObj(i -> "/bounded-" + i).toList();
    paths.forEach(this::get);
    await("every record buffered or dropped", 5_000,
        () -> shipping().bufferedRecords() + shipping().droppedRecords() == paths.size());
    long dropped = shipping().droppedRecords();
    assertThat(dropped).as("16 KiB hold some of 100 records").isBetween(10L, 95L);

    startLogging();
    await("the survivors stored", 15_000, () -> shipping().bufferedRecords() == 0);
    Map<String, Integer> logged = logged();
    assertThat(logged).as("the newest kept").containsOnlyKeys(paths.subList((int) dropped, paths.size()));
    assertThat(scrape("kasoku_edge_log_dropped_total")).isEqualTo("kasoku_edge_log_dropped_total " + dropped + ".0");

    await("the tenant told", 5_000, () -> !Await.result(store.notifications().list(tenant, 10)).isEmpty());
    List<Notification> feed = Await.result(store.notifications().list(tenant, 10));
    assertThat(feed).as("one announcement for the episode").hasSize(1);
    assertThat(feed.get(0).kind()).isEqualTo("log.dropped");
    assertThat(feed.get(0).message()).startsWith(dropped + " access-log records of ").contains("edge-e2e");
  }
}
