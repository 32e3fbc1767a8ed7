package dev.kasoku.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.testing.TestRedis;
import dev.kasoku.launcher.KasokuProcesses.Answer;
import dev.kasoku.launcher.KasokuProcesses.Node;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The per-tenant counters across processes, on the real jar: a control process (auth, config,
 * purge, logging), two metrics processes consuming the edge's counter deltas at once (the bus
 * spreads the batches over both; each one's {@code kasoku_metrics_delta_batches_total} shows it),
 * and an edge, with the shared test Redis. Known traffic goes through the edge; the edge is restarted mid-way (SIGTERM: it hands over its last counters as it
 * stops; then started again, a new delta stream); then both metrics processes are stopped while a
 * bounded load runs through the edge, which must answer every request and keep its unacknowledged
 * batches ({@code kasoku_edge_delta_batches_pending}: a batch a second per edge verticle, whatever
 * the request rate; none dropped); once the metrics role is back, every series the stats API
 * answers (1s, 1m, 5m, 1h, 1d) and the month's usage add up to what the clients received, request
 * for request and byte for byte, on both metrics instances.
 *
 * <p>One test for both properties (two consumers and a restarted edge; the metrics role down) to
 * start the four processes once. Bounded: at most 300 s, four processes, three client threads;
 * the fixture stops every process and deletes the tenant, passed or failed.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class MetricsOutageIT {
  /** Every field the stats API answers as a plain count. */
  private static final String FIELDS = "requests,bytes,bytesIn,hits,misses,stale,pass,errors,originRequests,"
      + "originBytes,status1xx,status2xx,status3xx,status4xx,status5xx";

  @TempDir Path work;
  private KasokuProcesses cluster;
  private EdgeLoad load;

  @AfterEach
  void stopEverything() throws Exception {
    try {
      if (load != null) {
        load.stop();
      }
    } finally {
      if (cluster != null) {
        cluster.close();
      }
    }
  }

  /** What the clients received from the edge for the tenant's site: the expected totals. */
  private static final class Sent {
    final AtomicLong requests = new AtomicLong();
    final AtomicLong bytes = new AtomicLong();
    final AtomicLong hits = new AtomicLong();
    final AtomicLong status2xx = new AtomicLong();

    /**
     * Counts an answer of the edge. A {@code 421} (the edge does not know the host yet) belongs to
     * no tenant and is counted nowhere.
     */
    Answer count(Answer a) {
      if (a.status() != 421) {
        requests.incrementAndGet();
        bytes.addAndGet(a.body().getBytes(StandardCharsets.UTF_8).length);
        if (a.cacheStatus().contains("; hit")) {
          hits.incrementAndGet();
        }
        if (a.status() / 100 == 2) {
          status2xx.incrementAndGet();
        }
      }
      return a;
    }
  }

  private final Sent sent = new Sent();

  /** One request for the site on a new connection, counted. */
  private Answer get(Node edge, String path) throws IOException {
    return sent.count(cluster.get(edge, path));
  }

  /** Known traffic: twenty pages three times (one miss and two hits each), every answer the origin's page. */
  private void knownTraffic(Node edge) throws IOException {
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < 20; i++) {
        String path = "/obj/" + i;
        Answer a = get(edge, path);
        assertThat(a.status()).as(path).isEqualTo(200);
        assertThat(a.body()).isEqualTo(KasokuProcesses.body(path, 1));
      }
    }
  }

  /** Polls the edge (every answer counted) until it serves the site. */
  private void awaitServing(Node edge, String path) throws Exception {
    KasokuProcesses.await(edge.name() + " serves the site", Duration.ofSeconds(30), () -> {
      try {
        return get(edge, path).status() == 200;
      } catch (IOException notListening) {
        return false;
      }
    });
  }

  /** The sum of a Prometheus metric's samples on the node's {@code /metrics} whose labels contain {@code labels}. */
  private static double sample(Node n, String name, String labels) throws Exception {
    HttpResponse<String> r = KasokuProcesses.send(HttpRequest.newBuilder(URI.create(n.apiBase() + "/metrics")),
        Duration.ofSeconds(10));
    assertThat(r.statusCode()).as("%s /metrics", n.name()).isEqualTo(200);
    double sum = 0;
    boolean found = false;
    for (String line : r.body().lines().toList()) {
      if ((line.startsWith(name + " ") || line.startsWith(name + "{")) && line.contains(labels)) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        found = true;
      }
    }
    assertThat(found).as("%s{%s} on %s", name, labels, n.name()).isTrue();
    return sum;
  }

  private static double folded(Node metrics) throws Exception {
    return sample(metrics, "kasoku_metrics_delta_batches_total", "outcome=\"folded\"");
  }

  /** Each field's sum over the steps of a stats answer of this metrics instance. */
  private Map<String, Long> sums(Node metrics, String step, Instant from, Instant to) throws Exception {
    String query = "/v1/tenants/" + cluster.tenant() + "/stats?fields=" + FIELDS + "&step=" + step
        + "&from=" + URLEncoder.encode(from.toString(), StandardCharsets.UTF_8)
        + "&to=" + URLEncoder.encode(to.toString(), StandardCharsets.UTF_8);
    HttpResponse<String> r = KasokuProcesses.api(metrics, "GET", query, cluster.adminKey(), null);
    assertThat(r.statusCode()).as("%s stats at %s: %s", metrics.name(), step, r.body()).isEqualTo(200);
    JsonObject series = new JsonObject(r.body()).getJsonObject("series");
    Map<String, Long> out = new HashMap<>();
    for (String field : series.fieldNames()) {
      long sum = 0;
      for (Object v : series.getJsonArray(field)) {
        sum += v == null ? 0 : ((Number) v).longValue();
      }
      out.put(field, sum);
    }
    return out;
  }

  @Test
  void countsAddUpExactlyWithTwoMetricsInstancesAnEdgeRestartAndTheMetricsRoleDownForAWhile() throws Exception {
    long t0 = System.nanoTime();
    cluster = new KasokuProcesses("MetricsOutageIT", work, TestRedis.url(), 4);
    Node control = cluster.node("control", "auth,config,purge,logging");
    Node metricsA = cluster.node("metrics-a", "metrics");
    Node metricsB = cluster.node("metrics-b", "metrics");
    Node edge = cluster.node("edge", "cache-edge");
    cluster.startAll(control, metricsA, metricsB, edge);
    long startedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    Instant from = Instant.now().minusSeconds(2);
    cluster.createTenantAndSite(control, "Metrics outage IT");

    // --- known traffic, two metrics instances consuming; the edge restarted mid-way
    awaitServing(edge, "/warm");
    knownTraffic(edge);
    long signalled = System.nanoTime();
    assertThat(cluster.terminate(edge)).as("the edge exits 0 after SIGTERM:%n%s", edge.output()).isZero();
    assertThat(edge.output()).as("the stopping edge handed over its last counters")
        .doesNotContain("counter-delta batch(es) unacknowledged");
    cluster.start(edge);
    cluster.awaitReady(edge);
    long restartMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - signalled);
    awaitServing(edge, "/warm");
    knownTraffic(edge);
    // both instances fold: the bus spreads the batches over them (a little more traffic until it shows)
    AtomicLong more = new AtomicLong();
    KasokuProcesses.await("both metrics instances folded batches", Duration.ofSeconds(30), () -> {
      assertThat(get(edge, "/more-" + more.incrementAndGet()).status()).isEqualTo(200);
      return folded(metricsA) > 0 && folded(metricsB) > 0;
    });
    String foldedBefore = (long) folded(metricsA) + " and " + (long) folded(metricsB);
    long beforeOutage = sent.requests.get();

    // --- the metrics role down (both instances), a bounded load through the edge
    long stoppedAt = System.nanoTime();
    assertThat(cluster.terminate(metricsA)).as("metrics-a exits 0:%n%s", metricsA.output()).isZero();
    assertThat(cluster.terminate(metricsB)).as("metrics-b exits 0:%n%s", metricsB.output()).isZero();
    AtomicLong unique = new AtomicLong();
    load = new EdgeLoad(3, t -> n -> {
      // every other request a new page: a miss the edge fills from the origin, the rest hits
      String path = n % 2 == 0 ? "/obj/" + n % 20 : "/during-" + unique.incrementAndGet();
      Answer a = get(edge, path);
      return a.status() == 200 && a.body().equals(KasokuProcesses.body(path, 1)) ? null : path + ": " + a;
    });
    // long enough for the edge to have given up waiting on the batches it sent as the role went (5 s)
    KasokuProcesses.await("the edge serves while the metrics role is down", Duration.ofSeconds(60),
        () -> load.served() > 300 && System.nanoTime() - stoppedAt > TimeUnit.SECONDS.toNanos(8));
    load.stop();
    long outageMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppedAt);
    assertThat(load.failed()).as("metrics down: %s", load).isZero();
    assertThat(KasokuProcesses.readiness(edge)).as("the edge stays ready without the metrics role").isEqualTo(200);
    // what it keeps meanwhile grows with time (a batch a second per edge verticle), not with requests
    long kept = (long) sample(edge, "kasoku_edge_delta_batches_pending", "");
    int verticles = Runtime.getRuntime().availableProcessors();
    assertThat(kept).as("counter batches the edge keeps").isPositive()
        .isLessThanOrEqualTo(verticles * (TimeUnit.MILLISECONDS.toSeconds(outageMs) + 2));
    assertThat(sample(edge, "kasoku_edge_delta_batches_dropped_total", "")).isZero();
    long duringOutage = sent.requests.get() - beforeOutage;

    // --- the metrics role back: the edge's kept batches are folded, nothing twice
    long restartedAt = System.nanoTime();
    cluster.start(metricsA);
    cluster.start(metricsB);
    cluster.awaitReady(metricsA);
    cluster.awaitReady(metricsB);
    long readyMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restartedAt);
    Instant to = Instant.now().plusSeconds(5);
    long expectedRequests = sent.requests.get();
    Map<String, Long> last = new HashMap<>();
    KasokuProcesses.await("every request folded again", Duration.ofSeconds(60), () -> {
      last.clear();
      last.putAll(sums(metricsA, "1s", from, to));
      return last.getOrDefault("requests", 0L) >= expectedRequests;
    });
    long recoveryMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restartedAt);
    KasokuProcesses.await("the edge's kept batches all acknowledged", Duration.ofSeconds(30),
        () -> sample(edge, "kasoku_edge_delta_batches_pending", "") == 0);
    assertThat(sample(edge, "kasoku_edge_delta_batches_dropped_total", "")).isZero();
    assertThat(edge.output()).as("no counter batch dropped by the edge").doesNotContain("dropped unacknowledged (window");

    Map<String, Long> expected = new LinkedHashMap<>();
    expected.put("requests", sent.requests.get());
    expected.put("bytes", sent.bytes.get());
    expected.put("bytesIn", 0L);
    expected.put("hits", sent.hits.get());
    expected.put("originRequests", (long) cluster.originRequests.get());
    expected.put("originBytes", cluster.originBytes.get());
    expected.put("status2xx", sent.status2xx.get());
    expected.put("status4xx", 0L);
    expected.put("status5xx", 0L);
    for (Node metrics : List.of(metricsA, metricsB)) {
      for (String step : List.of("1s", "1m", "5m", "1h", "1d")) {
        Map<String, Long> got = sums(metrics, step, from, to);
        expected.forEach((field, value) ->
            assertThat(got.get(field)).as("%s %s %s", metrics.name(), step, field).isEqualTo(value));
        assertThat(got.get("hits") + got.get("misses") + got.get("stale") + got.get("pass") + got.get("errors"))
            .as("%s %s: every request has one cache status", metrics.name(), step).isEqualTo(sent.requests.get());
      }
    }
    long usageRequests = 0;
    long usageBytes = 0;
    for (YearMonth m : List.of(YearMonth.from(from.atZone(ZoneOffset.UTC)), YearMonth.from(to.atZone(ZoneOffset.UTC)))
        .stream().distinct().toList()) {
      HttpResponse<String> usage = KasokuProcesses.api(metricsB, "GET",
          "/v1/tenants/" + cluster.tenant() + "/usage?month=" + m, cluster.adminKey(), null);
      assertThat(usage.statusCode()).as(usage.body()).isEqualTo(200);
      JsonObject total = new JsonObject(usage.body()).getJsonObject("total");
      usageRequests += total.getLong("requests");
      usageBytes += total.getLong("bytes");
    }
    assertThat(usageRequests).as("the month's usage: requests").isEqualTo(sent.requests.get());
    assertThat(usageBytes).as("the month's usage: bytes").isEqualTo(sent.bytes.get());

    System.out.printf("MEASURED metrics: four processes ready in %d ms; edge restarted (SIGTERM to ready) in %d ms;"
            + " batches folded by the two instances before the outage: %s; metrics role down %d ms: edge %s, %d counter"
            + " batches kept (0 dropped); back: ready %d ms after its restart, every request folded %d ms"
            + " after it (%d ms after ready); totals %d requests (%d during the outage), %d bytes, %d hits, %d origin"
            + " requests, exact in 1s/1m/5m/1h/1d on both instances and in the month's usage; test %d ms%n",
        startedMs, restartMs, foldedBefore, outageMs, load, kept, readyMs, recoveryMs, recoveryMs - readyMs, sent.requests.get(),
        duringOutage, sent.bytes.get(), sent.hits.get(), cluster.originRequests.get(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
  }
}
