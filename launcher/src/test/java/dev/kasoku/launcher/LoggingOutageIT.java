package dev.kasoku.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.kasoku.launcher.KasokuProcesses.Answer;
import dev.kasoku.launcher.KasokuProcesses.Node;
import dev.kasoku.launcher.KasokuProcesses.Tenant;
import io.vertx.core.json.JsonObject;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The logging role down under load: a control process, a logging process and an edge process. The
 * logging process is stopped while the edge serves, then started again on the same data directory.
 * The edge answers every request meanwhile (its access-log buffer is bounded and never on the
 * request path) and keeps the batches no logging instance acknowledges; once the role is back every
 * record of the outage is delivered, records stored before the outage are still there, and every
 * request made once the role is back is logged exactly once.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class LoggingOutageIT {
  @TempDir Path work;
  private AofRedis redis;
  private KasokuProcesses cluster;
  private HttpServer origin;
  private EdgeLoad load;

  @AfterEach
  void stopEverything() throws Exception {
    try {
      if (load != null) {
        load.stop();
      }
    } finally {
      try {
        if (cluster != null) {
          cluster.close();
        }
      } finally {
        if (origin != null) {
          origin.stop(0);
        }
        if (redis != null) {
          redis.close();
        }
      }
    }
  }

  /** How many times each path of the tenant's stored access log occurs, as the logging node serves it. */
  private static Map<String, Integer> loggedPaths(Node logging, Tenant tenant, Instant from) throws Exception {
    String query = "?format=ndjson&from=" + URLEncoder.encode(from.toString(), StandardCharsets.UTF_8)
        + "&to=" + URLEncoder.encode(Instant.now().plus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS).toString(),
        StandardCharsets.UTF_8);
    HttpResponse<String> r = KasokuProcesses.api(logging, "GET", "/v1/tenants/" + tenant.id() + "/logs" + query,
        tenant.key(), null, Duration.ofSeconds(10));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    Map<String, Integer> counts = new HashMap<>();
    r.body().lines().filter(l -> !l.isBlank())
        .forEach(l -> counts.merge(new JsonObject(l).getString("path"), 1, Integer::sum));
    return counts;
  }

  @Test
  void edgesServeWhileLoggingIsDownAndLogsFlowAgainOnceItReturns() throws Exception {
    redis = new AofRedis(work.resolve("redis"));
    redis.start();
    origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    origin.setExecutor(Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "origin");
      t.setDaemon(true);
      return t;
    }));
    origin.createContext("/", exchange -> {
      byte[] body = ("page " + exchange.getRequestURI().getPath()).getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Cache-Control", "max-age=300");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    origin.start();

    cluster = new KasokuProcesses("LoggingOutageIT", work, redis.url(), 3);
    Node control = cluster.node("control", "auth,config,purge,metrics");
    Node logging = cluster.node("logging", "logging");
    Node edge = cluster.node("edge", "cache-edge");
    cluster.startAll(control, logging, edge);
    Instant from = Instant.now().minus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS);
    Tenant tenant = cluster.createTenant(control, "Logging outage IT");
    String host = "www." + tenant.id() + ".logging-outage.test";
    KasokuProcesses.putSite(control, tenant, "www", host, origin.getAddress().getPort(), new JsonObject());
    cluster.awaitSite(edge, host, "/warm", Duration.ofSeconds(30));

    List<String> before = IntStream.range(0, 20).mapToObj(i -> "/before-" + i).toList();
    for (String p : before) {
      assertThat(cluster.fetch(edge, host, p, 10_000).status()).isEqualTo(200);
    }
    Node loggingNode = logging;
    KasokuProcesses.await("records from before the outage stored", Duration.ofSeconds(20),
        () -> loggedPaths(loggingNode, tenant, from).keySet().containsAll(before));

    // --- the logging role down, the edge under load
    cluster.terminate(logging);
    AtomicLong unique = new AtomicLong();
    load = new EdgeLoad(3, t -> n -> {
      String path = n % 2 == 0 ? "/before-" + n % 20 : "/during-" + unique.incrementAndGet();
      Answer a = cluster.fetch(edge, host, path, 10_000);
      return a.status() == 200 && a.body().equals("page " + path) ? null : path + ": " + a.status();
    });
    KasokuProcesses.await("the edge serves while logging is down", Duration.ofSeconds(30),
        () -> load.served() > 300);
    load.stop();
    assertThat(load.failed()).as("logging down: %s", load).isZero();
    assertThat(KasokuProcesses.readiness(edge)).as("the edge stays ready without logging").isEqualTo(200);

    // --- the logging role back, on the same data directory
    long t0 = System.nanoTime();
    cluster.start(logging);
    Node back = logging;
    cluster.awaitReady(back);
    AtomicLong probe = new AtomicLong();
    Duration recovery = KasokuProcesses.await("records delivered again", Duration.ofSeconds(30), () -> {
      String p = "/probe-" + probe.incrementAndGet();
      cluster.fetch(edge, host, p, 10_000);
      Thread.sleep(1500);
      return loggedPaths(back, tenant, from).containsKey(p);
    });
    long recoveryMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    List<String> after = IntStream.range(0, 50).mapToObj(i -> "/after-" + i).toList();
    for (String p : after) {
      assertThat(cluster.fetch(edge, host, p, 10_000).status()).isEqualTo(200);
    }
    KasokuProcesses.await("records from after the return stored", Duration.ofSeconds(20),
        () -> loggedPaths(back, tenant, from).keySet().containsAll(after));
    Map<String, Integer> logged = loggedPaths(back, tenant, from);
    for (String p : before) {
      assertThat(logged.get(p)).as("%s kept across the restart", p).isPositive();
    }
    for (String p : after) {
      assertThat(logged.get(p)).as("%s logged exactly once", p).isEqualTo(1);
    }
    // every request served while logging was down was kept by the edge and delivered after the return
    List<String> during = LongStream.rangeClosed(1, unique.get()).mapToObj(i -> "/during-" + i).toList();
    List<String> missing = during.stream().filter(p -> !logged.containsKey(p)).toList();
    assertThat(missing).as("records of the outage delivered after the return (of %d)", during.size()).isEmpty();
    long duplicated = during.stream().filter(p -> logged.get(p) > 1).count();
    System.out.printf("MEASURED: logging down: edge %s, all %d new paths of the outage logged after the return (%d"
            + " twice); logging back: records delivered %d ms after its restart (%d ms after it was ready)%n",
        load, during.size(), duplicated, recoveryMs, recovery.toMillis());
  }
}
