package dev.kasoku.launcher.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.config.ConfigLoader;
import dev.kasoku.common.config.KasokuConfig;
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
import java.nio.file.Path;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Known traffic through the real edge of a monolithic process adds up, request for request and byte
 * for byte, in every series the stats API answers (1s, 1m, 5m, 1h, 1d) and in the month's usage: the
 * edge's counters, the acknowledged hand-off, the fold at every resolution and the answer's arithmetic
 * together. A real origin server on loopback counts what it was asked and what it sent.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class StatsExactnessEndToEndTest {
  private static final String OPERATOR = "e2e-operator-token-with-at-least-32-characters";
  private static final String SECRET = "e2e-secret-key-with-at-least-32-characters!";
  private static final String HOST = "www.stats-e2e.test";

  @TempDir Path dataDir;
  private Vertx vertx;
  private WebClient http;
  private Launcher launcher;
  private HttpServer origin;
  private final AtomicLong originRequests = new AtomicLong();
  private final AtomicLong originBytes = new AtomicLong();
  private int edgePort;

  /** What the clients saw: the expected totals. */
  private long requests;
  private long bytes;
  private long bytesIn;
  private final Map<Integer, Long> statusClasses = new HashMap<>();

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    http = WebClient.create(vertx, new WebClientOptions().setKeepAlive(false));
    origin = Await.result(vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(in -> {
      originRequests.incrementAndGet();
      String path = req.path();
      String body;
      int status = 200;
      String cacheControl = "max-age=300";
      if (path.startsWith("/obj/")) {
        body = "a".repeat(100 + Integer.parseInt(path.substring(5)));
      } else if (path.equals("/form")) {
        body = "ok:" + in.length();
        cacheControl = "no-store";
      } else if (path.equals("/missing")) {
        body = "nope";
        status = 404;
        cacheControl = "no-store";
      } else {
        body = "ready";
      }
      originBytes.addAndGet(body.length());
      req.response().setStatusCode(status).putHeader("Cache-Control", cacheControl).end(body);
    })).listen(0, "127.0.0.1"));
    List<Integer> ports = FreePorts.take(2);
    edgePort = ports.get(0);
    Map<String, String> env = MonolithEnv.of(dataDir, edgePort, ports.get(1), SECRET, OPERATOR);
    KasokuConfig config = ConfigLoader.load(env);
    launcher = Launcher.start(config).await(60, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    if (launcher != null) {
      launcher.stop().await(30, TimeUnit.SECONDS);
    }
    Await.result(vertx.close());
  }

  private HttpResponse<Buffer> api(HttpMethod method, String path, String key, JsonObject body) {
    var req = http.request(method, launcher.apiPort(), "127.0.0.1", path).bearerTokenAuthentication(key);
    return Await.result(body == null ? req.send() : req.sendJsonObject(body));
  }

  /** One request through the edge, counted in the expected totals. */
  private HttpResponse<Buffer> edge(HttpMethod method, String path, String body) {
    var req = http.request(method, edgePort, "127.0.0.1", path).putHeader("Host", HOST);
    HttpResponse<Buffer> r = Await.result(body == null ? req.send() : req.sendBuffer(Buffer.buffer(body)));
    count(r, body);
    return r;
  }

  private void count(HttpResponse<Buffer> r, String sentBody) {
    requests++;
    bytes += r.body() == null ? 0 : r.body().length();
    bytesIn += sentBody == null ? 0 : sentBody.length();
    statusClasses.merge(r.statusCode() / 100, 1L, Long::sum);
  }

  @Test
  void knownTrafficAddsUpExactlyInEverySeriesAndInTheMonthsUsage() throws Exception {
    Instant start = Instant.now();
    HttpResponse<Buffer> created = api(HttpMethod.POST, "/v1/tenants", OPERATOR, new JsonObject().put("name", "Stats"));
    assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
    String tenant = created.bodyAsJsonObject().getString("id");
    String key = created.bodyAsJsonObject().getString("adminApiKey");
    HttpResponse<Buffer> put = api(HttpMethod.PUT, "/v1/tenants/" + tenant + "/sites/www", key, new JsonObject()
        .put("hostnames", new JsonArray().add(HOST))
        .put("origins", new JsonArray().add(new JsonObject().put("url", "http://127.0.0.1:" + origin.actualPort())))
        .put("defaultTtl", "60s"));
    assertThat(put.statusCode()).as(put.bodyAsString()).isEqualTo(200);
    // until the edge knows the site its answers belong to no tenant and are not counted
    long deadline = System.currentTimeMillis() + 10_000;
    while (true) {
      HttpResponse<Buffer> probe = Await.result(http.get(edgePort, "127.0.0.1", "/probe").putHeader("Host", HOST).send());
      if (probe.statusCode() == 200) {
        count(probe, null);
        break;
      }
      assertThat(System.currentTimeMillis()).as("the edge serves the site").isLessThan(deadline);
      Thread.sleep(20);
    }

    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < 10; i++) {
        assertThat(edge(HttpMethod.GET, "/obj/" + i, null).statusCode()).isEqualTo(200);
      }
    }
    for (int i = 0; i < 3; i++) {
      edge(HttpMethod.POST, "/form", "field=" + "x".repeat(i * 7));
    }
    for (int i = 0; i < 2; i++) {
      assertThat(edge(HttpMethod.GET, "/missing", null).statusCode()).isEqualTo(404);
    }
    Instant end = Instant.now();

    Map<String, Long> expected = new LinkedHashMap<>();
    expected.put("requests", requests);
    expected.put("bytes", bytes);
    expected.put("bytesIn", bytesIn);
    expected.put("originRequests", originRequests.get());
    expected.put("originBytes", originBytes.get());
    expected.put("status2xx", statusClasses.getOrDefault(2, 0L));
    expected.put("status4xx", statusClasses.getOrDefault(4, 0L));
    String fields = String.join(",", expected.keySet()) + ",hits,misses,stale,pass,errors,status1xx,status3xx,status5xx";

    String from = start.minusSeconds(2).toString();
    String to = end.plusSeconds(5).toString();
    String query = "/v1/tenants/" + tenant + "/stats?fields=" + fields + "&from=" + from + "&to=" + to + "&step=";
    // the edge flushes once a second; wait for the last batch to be folded
    Map<String, Long> perSecond = Map.of();
    long waitUntil = System.currentTimeMillis() + 15_000;
    while (System.currentTimeMillis() < waitUntil) {
      perSecond = sums(api(HttpMethod.GET, query + "1s", key, null));
      if (perSecond.getOrDefault("requests", 0L) >= requests) {
        break;
      }
      Thread.sleep(200);
    }
    for (String step : List.of("1s", "1m", "5m", "1h", "1d")) {
      Map<String, Long> got = sums(api(HttpMethod.GET, query + step, key, null));
      expected.forEach((field, value) -> assertThat(got.get(field)).as(step + " " + field).isEqualTo(value));
      assertThat(got.get("hits")).as(step + " hits: two of every three object fetches").isEqualTo(20);
      assertThat(got.get("hits") + got.get("misses") + got.get("stale") + got.get("pass") + got.get("errors"))
          .as(step + ": every request has one cache status").isEqualTo(requests);
      assertThat(got.get("status1xx") + got.get("status3xx") + got.get("status5xx")).isZero();
    }

    long usageRequests = 0;
    long usageBytes = 0;
    for (YearMonth m : List.of(YearMonth.from(start.atZone(ZoneOffset.UTC)), YearMonth.from(end.atZone(ZoneOffset.UTC)))
        .stream().distinct().toList()) {
      HttpResponse<Buffer> usage = api(HttpMethod.GET, "/v1/tenants/" + tenant + "/usage?month=" + m, key, null);
      assertThat(usage.statusCode()).as(usage.bodyAsString()).isEqualTo(200);
      usageRequests += usage.bodyAsJsonObject().getJsonObject("total").getLong("requests");
      usageBytes += usage.bodyAsJsonObject().getJsonObject("total").getLong("bytes");
    }
    assertThat(usageRequests).isEqualTo(requests);
    assertThat(usageBytes).isEqualTo(bytes);
  }

  /** Each field's sum over the answer's steps. */
  private static Map<String, Long> sums(HttpResponse<Buffer> r) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    Map<String, Long> out = new HashMap<>();
    JsonObject series = r.bodyAsJsonObject().getJsonObject("series");
    for (String field : series.fieldNames()) {
      long sum = 0;
      for (Object v : series.getJsonArray(field)) {
        sum += v == null ? 0 : ((Number) v).longValue();
      }
      out.put(field, sum);
    }
    return out;
  }
}
