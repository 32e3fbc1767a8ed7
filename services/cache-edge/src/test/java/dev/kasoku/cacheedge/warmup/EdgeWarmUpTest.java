package dev.kasoku.cacheedge.warmup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.kasoku.cacheedge.CacheEdgeVerticle;
import dev.kasoku.cacheedge.sites.EdgeSite;
import dev.kasoku.cacheedge.testing.EdgeHarness;
import dev.kasoku.cacheedge.testing.TestOrigin;
import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages;
import dev.kasoku.common.bus.RecordCodec;
import dev.kasoku.common.config.ConfigLoader;
import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.http.Health;
import dev.kasoku.common.prometheus.Prometheus;
import dev.kasoku.common.store.embedded.EmbeddedStore;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.TempStores;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The edge's start-up warm-up ({@code KASOKU_EDGE_WARMUP}): the edge's start, which the process's
 * readiness waits for, completes only after synthetic hits, misses and TLS handshakes went through
 * its real listeners; none of that traffic reaches an access log, a tenant's counters or the
 * Prometheus meters; afterwards the internal host name routes nowhere, its objects are gone, and a
 * tenant's request is logged and counted as before.
 */
class EdgeWarmUpTest {
  private static final String SECRET = "edge-warmup-tests-secret-key-of-32-chars";

  private Vertx vertx;
  private Path dir;
  private EmbeddedStore store;
  private final List<Messages.AccessLogRecord> logged = new CopyOnWriteArrayList<>();
  private final List<Messages.CounterRow> counted = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    RecordCodec.registerAll(vertx);
    dir = TempStores.newDirectory();
    store = TempStores.embedded(vertx, dir);
    // stand-ins for the logging and metrics roles, there before the edge starts
    Await.result(Addresses.LOG_ACCESS.consumer(vertx.eventBus(), m -> {
      logged.addAll(m.body().records());
      m.reply(m.body().records().size());
    }).completion());
    Await.result(vertx.eventBus().<Messages.CounterDeltas>consumer(Addresses.METRICS_EDGE.address(), m -> {
      counted.addAll(m.body().rows());
      m.reply(null);
    }).completion());
  }

  @AfterEach
  void stop() {
    Await.result(store.close());
    Await.result(vertx.close());
    TempStores.deleteRecursively(dir);
  }

  private KasokuConfig config(String warmUp) {
    return ConfigLoader.load(Map.of("KASOKU_SECRET_KEY", SECRET, "KASOKU_DATA_DIR", dir.resolve("tls").toString(),
        "KASOKU_BIND_ADDRESS", "127.0.0.1", "KASOKU_EDGE_TLS_PORT", "0", "KASOKU_EDGE_WARMUP", warmUp));
  }

  private CacheEdgeVerticle edge(String warmUp) {
    CacheEdgeVerticle edge = new CacheEdgeVerticle(store, new Health(), Clock.systemUTC(),
        EdgeHarness.defaults().withInstances(2), config(warmUp));
    Await.result(vertx.deployVerticle(edge));
    return edge;
  }

  @Test
  void theEdgeStartsOnlyOnceTheWarmUpRanHitsMissesAndHandshakesThroughItsListeners() {
    long t0 = System.nanoTime();
    CacheEdgeVerticle edge = edge("1500ms");
    long startedMs = (System.nanoTime() - t0) / 1_000_000;

    EdgeWarmUp.Report r = edge.warmUp();
    assertThat(r).as("the warm-up ended before the start completed").isNotNull();
    assertThat(r.millis()).as("bounded by KASOKU_EDGE_WARMUP (and a moment to close, on a loaded machine)")
        .isBetween(1000L, 4000L);
    assertThat(startedMs).isGreaterThanOrEqualTo(r.millis());
    assertThat(r.requests()).isGreaterThan(r.handshakes() + r.misses());
    assertThat(r.handshakes()).as("new TLS connections").isPositive();
    assertThat(r.misses()).as("origin fetches of distinct keys").isPositive();
    assertThat(r.failures()).isZero();
  }

  @Test
  void warmUpTrafficReachesNoAccessLogNoCounterNoMeterAndLeavesNothingRoutedOrStored() throws Exception {
    CacheEdgeVerticle edge = edge("1s");
    EdgeWarmUp.Report r = edge.warmUp();
    assertThat(r.requests()).isPositive();
    // a tenant's site, asked once after the warm-up: the log and counter paths are live
    TestOrigin origin = new TestOrigin(vertx).respond(200, "tenant body", "Cache-Control", "max-age=60");
    Await.result(store.sites().put("acme", "www", List.of("www.acme.example"),
        "{\"hostnames\":[\"www.acme.example\"],\"origins\":[{\"url\":\"" + origin.url() + "\"}]}", "test", Instant.now()));
    Await.result(edge.runtime().sites().reload());
    HttpClientAgent client = vertx.createHttpClient(new HttpClientOptions());
    try {
      assertThat(status(client, edge.port(), "www.acme.example", "/")).isEqualTo(200);
      // the warm-up's host name, drawn at random per start, is not routed any more
      String warmHost = r.host();
      assertThat(edge.runtime().sites().lookup(warmHost)).isNull();
      assertThat(status(client, edge.port(), warmHost, "/hot")).isNotEqualTo(200);
    } finally {
      Await.result(client.close());
      origin.close();
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while ((logged.isEmpty() || counted.isEmpty()) && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    // thousands of warm-up requests, and only the two made after it are logged: the tenant's, and
    // the probe of the internal host name, which now routes nowhere (no site: 421)
    assertThat(logged).as("only the requests made after the warm-up are logged")
        .extracting(Messages.AccessLogRecord::tenant, Messages.AccessLogRecord::path, Messages.AccessLogRecord::status)
        .containsExactlyInAnyOrder(tuple("acme", "/", 200), tuple(null, "/hot", 421));
    assertThat(counted).as("only the tenant's row is counted").allSatisfy(row -> {
      assertThat(row.tenant()).isEqualTo("acme");
      assertThat(row.counters().get("requests")).isEqualTo(1L);
    });
    double meterRequests = Prometheus.registry(vertx).find("kasoku.edge.requests").counters().stream()
        .mapToDouble(Counter::count).sum();
    assertThat(meterRequests).as("the process meters count the two requests after the warm-up only").isEqualTo(2.0);
    assertThat(edge.runtime().storage().stats().entries()).as("only the tenant's object is stored").isEqualTo(1);
  }

  @Test
  void offMeansNoWarmUp() {
    CacheEdgeVerticle edge = edge("off");
    assertThat(edge.warmUp()).isNull();
    assertThat(config("0").edgeWarmUp()).isZero();
    assertThat(config("3s").edgeWarmUp()).isEqualTo(Duration.ofSeconds(3));
    assertThat(ConfigLoader.load(Map.of()).edgeWarmUp()).isEqualTo(KasokuConfig.DEFAULT_EDGE_WARMUP);
    assertThat(EdgeSite.INTERNAL_TENANT).as("outside the tenant id syntax").doesNotMatch("[a-z0-9][a-z0-9-]{0,62}");
  }

  @Test
  void aStopSignalCutsARunningWarmUpShortSoTheStartCompletes() {
    CacheEdgeVerticle edge = new CacheEdgeVerticle(store, new Health(), Clock.systemUTC(),
        EdgeHarness.defaults().withInstances(2), config("60s"));
    long t0 = System.nanoTime();
    // as the process's shutdown hook does while the start is still running
    long cutter = vertx.setPeriodic(1000, 100, id -> EdgeWarmUp.endRunning());
    try {
      Await.result(vertx.deployVerticle(edge));
    } finally {
      vertx.cancelTimer(cutter);
    }
    long startedMs = (System.nanoTime() - t0) / 1_000_000;
    EdgeWarmUp.Report r = edge.warmUp();
    assertThat(r.cut()).as(r.describe()).isTrue();
    assertThat(r.describe()).contains("cut short by a stop signal");
    assertThat(startedMs).as("not the 60 s bound").isLessThan(15_000);
    assertThat(r.requests()).as("it had begun").isPositive();
  }

  @Test
  void aFlatRateEndsTheWarmUpOnlyOnceTheJitIsQuiet() {
    long window = EdgeWarmUp.WINDOW_MS;
    assertThat(EdgeWarmUp.jitQuiet(0)).isTrue();
    assertThat(EdgeWarmUp.jitQuiet((long) (EdgeWarmUp.JIT_QUIET * window))).as("at the share").isTrue();
    assertThat(EdgeWarmUp.jitQuiet((long) (EdgeWarmUp.JIT_QUIET * window) + 1)).as("compiling still").isFalse();
    assertThat(EdgeWarmUp.jitQuiet(2 * window)).as("both compiler threads busy").isFalse();
    assertThat(EdgeWarmUp.jitQuiet(-1)).as("a JVM that does not measure it: the rate alone decides").isTrue();
  }

  private int status(HttpClientAgent client, int port, String host, String path) {
    return Await.result(client.request(new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1")
            .setPort(port).setURI(path).putHeader("Host", host))
        .compose(req -> req.send().compose(resp -> resp.body().map(b -> resp.statusCode()))));
  }
}
