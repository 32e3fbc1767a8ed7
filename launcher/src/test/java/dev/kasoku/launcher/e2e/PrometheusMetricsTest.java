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
    origin = Await.result(vertx.createHttpServer().requestHandler(req ->
        req.response().putHeader("Cache-Control", "max-age=300").end("body of " + req.path())).listen(0, "127.0.0.1"));
    List<Integer> ports = FreePorts.take(2);
    edgePort = ports.get(0);
    Map<String, String> env = new HashMap<>(Map.of(
        "KASOKU_DATA_DIR", dataDir.toString(),
        "KASOKU_BIND_ADDRESS", "127.0.0.1",
        "KASOKU_API_PORT", "0",
        "KASOKU_EDGE_PORT", String.valueOf(edgePort),
        "KASOKU_EDGE_TLS_PORT", String.valueOf(ports.get(1)),
        "KASOKU_SECRET_KEY", SECRET,
        "KASOKU_BOOTSTRAP_TOKEN", OPERATOR,
        "KASOKU_ALLOWED_ORIGIN_NETWORKS", "127.0.0.0/8",
        "KASOKU_SHUTDOWN_GRACE", "2s"));
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
    HttpResponse<Buffer> t = api(HttpMethod.POST, "/v1/tenants", OPERATOR, new JsonObject().put("name", name));
    assertThat(t.statusCode()).as(t.bodyAsString()).isEqualTo(201);
    String id = t.bodyAsJsonObject().getString("id");
    HttpResponse<Buffer> put = api(HttpMethod.PUT, "/v1/tenants/" + id + "/sites/www",
        t.bodyAsJsonObject().getString("adminApiKey"), new JsonObject()
            .put("hostnames", new JsonArray().add(host))
            .put("origins", new JsonArray().add(new JsonObject().put("url", "http://127.0.0.1:" + origin.actualPort()))));
    assertThat(put.statusCode()).as(put.bodyAsString()).isEqualTo(200);
    long deadline = System.currentTimeMillis() + 10_000;
    while (edge(host, "/warm").statusCode() != 200) {
      assertThat(System.currentTimeMillis()).as("the edge serves " + host).isLessThan(deadline);
      Thread.sleep(20);
    }
    return id;
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

  /** The metric names of an exposition. */
  private static Set<String> names(String text) {
    Set<String> out = new TreeSet<>();
    for (String line : text.split("\n")) {
      if (!line.isBlank() && !line.startsWith("#")) {
        out.add(line.split("[{ ]", 2)[0]);
      }
    }
    return out;
  }

  /** promtool's complaints about the exposition (empty when it passes). */
  private static String promtool(String exposition) throws IOException, InterruptedException {
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
