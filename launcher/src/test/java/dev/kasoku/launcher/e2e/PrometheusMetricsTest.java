package dev.kasoku.launcher.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.config.ConfigLoader;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.FreePorts;
import dev.kasoku.launcher.Launcher;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Prometheus {@code /metrics} of a monolithic process: served on the API port (never on the edge's),
 * valid for {@code promtool check metrics} (Debian package {@code prometheus}; {@code .ci/run} installs
 * it), restricted by {@code KASOKU_METRICS_TOKEN} when set, and free of per-tenant, per-site and
 * per-URL labels: traffic to many URLs of many tenants leaves the number of series unchanged.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PrometheusMetricsTest {
  private static final String OPERATOR = "e2e-operator-token-with-at-least-32-characters";
  private static final String SECRET = "e2e-secret-key-with-at-least-32-characters!";

  @TempDir Path dataDir;
  private Vertx vertx;
  private WebClient http;
  private Launcher launcher;
  private HttpServer origin;
  private int edgePort;

  private void start(Map<String, String> extra) throws Exception {
    vertx = Vertx.vertx();
    http = WebClient.create(vertx, new WebClientOptions().setKeepAlive(false));
    origin = Await.result(vertx.createHttpServer().requestHandler(req -> {
      if (req.path().startsWith("/slow")) {
        vertx.setTimer(400, t -> req.response().putHeader("Cache-Control", "max-age=300").end("slow " + req.path()));
      } else if (req.path().startsWith("/big")) {
        req.response().putHeader("Cache-Control", "max-age=300").end("x".repeat(60_000));
      } else {
        req.response().putHeader("Cache-Control", "max-age=300").end("body of " + req.path());
      }
    }).listen(0, "127.0.0.1"));
    List<Integer> ports = FreePorts.take(2);
    edgePort = ports.get(0);
    Map<String, String> env = MonolithEnv.of(dataDir, edgePort, ports.get(1), SECRET, OPERATOR);
    env.putAll(extra);
    launcher = Launcher.start(ConfigLoader.load(env)).await(60, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    if (launcher != null) {
      launcher.stop().await(30, TimeUnit.SECONDS);
    }
    if (vertx != null) {
      Await.result(vertx.close());
    }
  }

  private HttpResponse<Buffer> scrape(String token) {
    var req = http.get(launcher.apiPort(), "127.0.0.1", "/metrics");
    if (token != null) {
      req.bearerTokenAuthentication(token);
    }
    return Await.result(req.send());
  }

  private HttpResponse<Buffer> api(HttpMethod method, String path, String key, JsonObject body) {
    var req = http.request(method, launcher.apiPort(), "127.0.0.1", path).bearerTokenAuthentication(key);
    return Await.result(body == null ? req.send() : req.sendJsonObject(body));
  }

  private HttpResponse<Buffer> edge(String host, String path) {
    return Await.result(http.get(edgePort, "127.0.0.1", path).putHeader("Host", host).send());
  }

  /** A tenant with one site on {@code host}; returns the tenant id. */
  private String tenantWithSite(String name, String host) throws InterruptedException {
    return tenantWithSite(name, host, origin.actualPort(), true).getString("id");
  }

  /** A tenant with one site on {@code host} whose origin is {@code originPort}; the tenant's creation reply. */
  private JsonObject tenantWithSite(String name, String host, int originPort, boolean awaitServed)
      throws InterruptedException {
    HttpResponse<Buffer> t = api(HttpMethod.POST, "/v1/tenants", OPERATOR, new JsonObject().put("name", name));
    assertThat(t.statusCode()).as(t.bodyAsString()).isEqualTo(201);
    String id = t.bodyAsJsonObject().getString("id");
    HttpResponse<Buffer> put = api(HttpMethod.PUT, "/v1/tenants/" + id + "/sites/www",
        t.bodyAsJsonObject().getString("adminApiKey"), new JsonObject()
            .put("hostnames", new JsonArray().add(host))
            .put("origins", new JsonArray().add(new JsonObject().put("url", "http://127.0.0.1:" + originPort))));
    assertThat(put.statusCode()).as(put.bodyAsString()).isEqualTo(200);
    long deadline = System.currentTimeMillis() + 10_000;
    while (awaitServed ? edge(host, "/warm").statusCode() != 200 : edge(host, "/warm").statusCode() == 421) {
      assertThat(System.currentTimeMillis()).as("the edge knows " + host).isLessThan(deadline);
      Thread.sleep(20);
    }
    return t.bodyAsJsonObject();
  }

  /** The series (sample lines) of an exposition, without JVM GC series whose causes appear as GCs happen. */
  private static Set<String> series(String text) {
    Set<String> out = new TreeSet<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#") || line.startsWith("jvm_gc_")) {
        continue;
      }
      int end = line.lastIndexOf(' ');
      out.add(line.substring(0, end));
    }
    return out;
  }

  @Test
  void everyRoleServesPrometheusTextOnTheApiPortThatPromtoolAccepts() throws Exception {
    start(Map.of());
    tenantWithSite("Prom", "www.prom.test");
    edge("www.prom.test", "/a");
    HttpResponse<Buffer> r = scrape(null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.getHeader("Content-Type")).startsWith("text/plain");
    String text = r.bodyAsString();
    assertThat(names(text)).contains("jvm_memory_used_bytes", "jvm_threads_live_threads", "process_cpu_usage",
        "vertx_http_server_requests_total", "vertx_eventbus_sent_total", "vertx_pool_in_use");
    assertThat(promtool(text)).as("promtool check metrics").isEmpty();

    HttpResponse<Buffer> onEdge = edge("www.prom.test", "/metrics");
    assertThat(onEdge.bodyAsString()).as("the edge port is customer traffic only").doesNotContain("jvm_memory");
    HttpResponse<Buffer> unknownHost = Await.result(http.get(edgePort, "127.0.0.1", "/metrics").send());
    assertThat(unknownHost.bodyAsString()).doesNotContain("jvm_memory");
  }

  @Test
  void withAMetricsTokenOnlyItsBearerMayScrape() throws Exception {
    start(Map.of("KASOKU_METRICS_TOKEN", "scrape-token-0123456789"));
    assertThat(scrape(null).statusCode()).isEqualTo(401);
    assertThat(scrape(null).getHeader("Content-Type")).startsWith("application/problem+json");
    assertThat(scrape("wrong-token").statusCode()).isEqualTo(401);
    HttpResponse<Buffer> ok = scrape("scrape-token-0123456789");
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(ok.bodyAsString()).contains("jvm_memory_used_bytes");
  }

  @Test
  void manyUrlsOfManyTenantsLeaveTheNumberOfSeriesUnchanged() throws Exception {
    start(Map.of());
    List<String> tenants = new ArrayList<>();
    for (int t = 0; t < 10; t++) {
      tenants.add(tenantWithSite("Card" + t, "t" + t + ".card.test"));
      // warm up what each kind of request records: a miss, a hit, an unknown host
      edge("t" + t + ".card.test", "/first");
      edge("t" + t + ".card.test", "/first");
    }
    edge("nobody.card.test", "/x");
    Thread.sleep(1500);
    scrape(null); // a scrape is an API request: the first one adds its own series
    Set<String> before = series(scrape(null).bodyAsString());

    for (int i = 0; i < 1000; i++) {
      String host = "t" + (i % 10) + ".card.test";
      assertThat(edge(host, "/page/" + i).statusCode()).isEqualTo(200);
      if (i % 3 == 0) {
        edge(host, "/page/" + i);
      }
    }
    Thread.sleep(1500);
    String after = scrape(null).bodyAsString();
    Set<String> added = new TreeSet<>(series(after));
    added.removeAll(before);
    Set<String> removed = new TreeSet<>(before);
    removed.removeAll(series(after));
    assertThat(added).as("series added by 1,000 distinct URLs over 10 tenants").isEmpty();
    assertThat(removed).as("series gone").isEmpty();
    for (String tenant : tenants) {
      assertThat(after).doesNotContain(tenant);
    }
    assertThat(after).doesNotContain("card.test", "/page/");
  }

  /**
   * Kasoku's own meters move with the traffic that should move them: hits, misses, passes and
   * origin errors by cache status and status class, bytes both ways, edge and origin time, origin
   * errors by kind, collapsed requests, evictions and what the cache holds, purge lag, the store's
   * calls, cluster members; and the exposition still passes promtool.
   */
  @Test
  void kasokusOwnMetersMoveWithTrafficPurgesAndStoreCalls() throws Exception {
    start(Map.of("KASOKU_EDGE_MEMORY", "400000", "KASOKU_EDGE_MAX_OBJECT", "100000"));
    JsonObject tenant = tenantWithSite("Meters", "www.meters.test", origin.actualPort(), true);
    int deadPort = FreePorts.take(1).get(0);
    tenantWithSite("Dead", "www.dead.test", deadPort, false);
    Map<String, Double> before = samples(scrape(null).bodyAsString());

    assertThat(edge("www.meters.test", "/m").statusCode()).isEqualTo(200); // miss
    assertThat(edge("www.meters.test", "/m").statusCode()).isEqualTo(200); // hit
    HttpResponse<Buffer> passed = Await.result(http.post(edgePort, "127.0.0.1", "/p")
        .putHeader("Host", "www.meters.test").sendBuffer(Buffer.buffer("x".repeat(1000))));
    assertThat(passed.statusCode()).isEqualTo(200); // pass, 1,000 bytes in
    assertThat(edge("www.dead.test", "/down").statusCode()).isEqualTo(502); // origin refused: error
    // concurrent misses on one slow URL: one goes to the origin, the others wait for it
    List<io.vertx.core.Future<HttpResponse<Buffer>>> slow = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      slow.add(http.get(edgePort, "127.0.0.1", "/slow").putHeader("Host", "www.meters.test").send());
    }
    for (var f : slow) {
      assertThat(Await.result(f).statusCode()).isEqualTo(200);
    }
    // 60 KB objects into a 400 KB budget: the cache evicts
    for (int i = 0; i < 12; i++) {
      assertThat(edge("www.meters.test", "/big/" + i).statusCode()).isEqualTo(200);
    }
    HttpResponse<Buffer> purge = api(HttpMethod.POST, "/v1/tenants/" + tenant.getString("id") + "/purge?wait=true",
        tenant.getString("adminApiKey"), new JsonObject().put("urls", new JsonArray().add("http://www.meters.test/m")));
    assertThat(purge.statusCode()).as(purge.bodyAsString()).isEqualTo(202);

    long deadline = System.currentTimeMillis() + 10_000;
    Map<String, Double> after;
    do {
      Thread.sleep(100);
      after = samples(scrape(null).bodyAsString());
    } while (after.getOrDefault("kasoku_purge_apply_lag_seconds_count", 0.0) < 1
        && System.currentTimeMillis() < deadline);
    Map<String, Double> moved = new HashMap<>();
    for (var e : after.entrySet()) {
      moved.put(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0.0));
    }
    assertThat(moved).as("requests by cache status and status class")
        .containsEntry("kasoku_edge_requests_total{cache_status=\"pass\",status_class=\"2xx\"}", 1.0)
        .containsEntry("kasoku_edge_requests_total{cache_status=\"error\",status_class=\"5xx\"}", 1.0)
        .containsEntry("kasoku_origin_errors_total{kind=\"connect\"}", 1.0);
    // /m twice (a miss, a hit), /slow four times (a miss; the waiters hit once it is stored) and every /big
    assertThat(moved.get("kasoku_edge_requests_total{cache_status=\"hit\",status_class=\"2xx\"}"))
        .isGreaterThanOrEqualTo(1.0);
    assertThat(moved.get("kasoku_edge_requests_total{cache_status=\"miss\",status_class=\"2xx\"}")
        + moved.get("kasoku_edge_requests_total{cache_status=\"hit\",status_class=\"2xx\"}")).isEqualTo(1 + 1 + 4 + 12.0);
    assertThat(moved.get("kasoku_edge_received_bytes_total")).isEqualTo(1000.0);
    assertThat(moved.get("kasoku_edge_sent_bytes_total")).isGreaterThan(12 * 60_000.0);
    assertThat(moved.get("kasoku_edge_request_seconds_count")).isEqualTo(1 + 1 + 1 + 1 + 4 + 12.0);
    assertThat(moved.get("kasoku_origin_request_seconds_count")).as("origin requests").isGreaterThanOrEqualTo(1 + 1 + 1 + 1 + 12.0);
    assertThat(moved.get("kasoku_origin_request_seconds_sum")).as("the slow origin's 400 ms").isGreaterThan(0.4);
    assertThat(moved.get("kasoku_edge_collapsed_requests_total")).as("waiters on the slow URL").isGreaterThanOrEqualTo(1.0);
    assertThat(moved.get("kasoku_edge_evictions_total")).isGreaterThan(0.0);
    assertThat(after.get("kasoku_edge_objects")).isGreaterThan(0.0);
    assertThat(after.get("kasoku_edge_stored_bytes")).isGreaterThan(60_000.0).isLessThanOrEqualTo(400_000.0);
    assertThat(after.get("kasoku_edge_storage_budget_bytes")).isEqualTo(400_000.0);
    assertThat(moved.get("kasoku_purge_apply_lag_seconds_count")).as("the purge applied on the edge").isEqualTo(1.0);
    assertThat(after.get("kasoku_purge_apply_lag_seconds_bucket{le=\"60.0\"}")).isGreaterThanOrEqualTo(1.0);
    assertThat(moved.get("kasoku_store_operation_seconds_count{operation=\"write\"}")).as("the purge's append")
        .isGreaterThanOrEqualTo(1.0);
    assertThat(moved.get("kasoku_store_operation_seconds_count{operation=\"read\"}")).as("API key lookups")
        .isGreaterThanOrEqualTo(1.0);
    assertThat(after).containsEntry("kasoku_store_errors_total{operation=\"read\"}", 0.0)
        .containsEntry("kasoku_store_errors_total{operation=\"write\"}", 0.0)
        .containsEntry("kasoku_cluster_members", 1.0);
    assertThat(promtool(scrape(null).bodyAsString())).as("promtool check metrics").isEmpty();
  }

  /**
   * Metric names other parts of Kasoku export that this process's scrape may not show yet: the edge's
   * access-log buffer ({@code kasoku_edge_log_dropped_total}, {@code kasoku_edge_log_buffer_bytes}), the
   * logging role's clock-skew gauge ({@code kasoku_log_clock_skew_seconds}) and its sinks
   * ({@code kasoku_log_sink_lag_seconds}, {@code kasoku_log_sink_delivered_total},
   * {@code kasoku_log_sink_errors_total}), added with the log-shipping work; plus {@code up}, which
   * Prometheus itself records for every scrape target. Every other name must appear in a real scrape.
   */
  static final Set<String> NAMES_NOT_IN_THIS_SCRAPE = Set.of("kasoku_edge_log_dropped_total",
      "kasoku_edge_log_buffer_bytes", "kasoku_log_clock_skew_seconds", "kasoku_log_sink_lag_seconds",
      "kasoku_log_sink_delivered_total", "kasoku_log_sink_errors_total", "up");

  /**
   * The Grafana dashboard and the alert rules of deploy/monitoring use only metric names a monolith
   * exports (or the documented few it cannot show yet): a misspelt name fails here, not on a quiet
   * dashboard.
   */
  @Test
  void theDashboardAndAlertRulesUseOnlyNamesKasokuExports() throws Exception {
    start(Map.of());
    Set<String> exported = new TreeSet<>(names(scrape(null).bodyAsString()));
    exported.addAll(NAMES_NOT_IN_THIS_SCRAPE);
    Map<String, Set<String>> used = MonitoringNames.used();
    assertThat(used).as("names used by the monitoring files").containsKeys("kasoku_edge_requests_total",
        "kasoku_purge_apply_lag_seconds_bucket", "kasoku_store_errors_total", "kasoku_cluster_members");
    Map<String, Set<String>> unknown = new java.util.TreeMap<>(used);
    unknown.keySet().removeAll(exported);
    assertThat(unknown).as("metric names nobody exports, with where they are used").isEmpty();
    // the check sees a typo, in a dashboard expression as in a rule
    assertThat(MonitoringNames.metricNames(
        "sum by (kind) (rate(kasoku_orgin_errors_total{kind=\"connect\"}[5m])) / on(instance) up offset 1d > 0.5"))
        .containsExactlyInAnyOrder("kasoku_orgin_errors_total", "up");
    assertThat(exported).doesNotContain("kasoku_orgin_errors_total");
  }

  /** Every sample of an exposition: series (name and labels, as written) to value. */
  static Map<String, Double> samples(String text) {
    Map<String, Double> out = new HashMap<>();
    for (String line : text.split("\n")) {
      if (!line.isBlank() && !line.startsWith("#")) {
        int end = line.lastIndexOf(' ');
        out.put(line.substring(0, end), Double.parseDouble(line.substring(end + 1)));
      }
    }
    return out;
  }

  /** The metric names of an exposition. */
  static Set<String> names(String text) {
    Set<String> out = new TreeSet<>();
    for (String line : text.split("\n")) {
      if (!line.isBlank() && !line.startsWith("#")) {
        out.add(line.split("[{ ]", 2)[0]);
      }
    }
    return out;
  }

  /** promtool's complaints about the exposition (empty when it passes). */
  static String promtool(String exposition) throws IOException, InterruptedException {
    Process p;
    try {
      p = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new AssertionError("promtool is needed (Debian package prometheus; .ci/run installs it)", e);
    }
    try {
      p.getOutputStream().write(exposition.getBytes(StandardCharsets.UTF_8));
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      return p.exitValue() == 0 ? out.trim() : "exit " + p.exitValue() + ": " + out;
    } finally {
      p.destroyForcibly();
    }
  }
}
