package dev.kasoku.launcher;

import static dev.kasoku.launcher.KasokuProcesses.api;
import static dev.kasoku.launcher.KasokuProcesses.readiness;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.kasoku.launcher.KasokuProcesses.Answer;
import dev.kasoku.launcher.KasokuProcesses.Node;
import dev.kasoku.launcher.KasokuProcesses.Tenant;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Redis lost under load: a control process (every control role) and two edge processes share a
 * {@code redis-server} of this test's own (append-only file on, its own port; never the shared test
 * Redis). While a few client threads keep asking both edges for cached keys (hits) and new keys
 * (misses) of a known site, Redis is stopped, started again, then frozen with SIGSTOP for 20 s and
 * resumed. Edges must answer every request; the API answers 503 problem+json within its timeout;
 * the control process's readiness goes down while the edges stay ready; a site write sent as Redis
 * goes away is either whole or absent; after each fault everything recovers on its own within 10 s.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class RedisOutageIT {
  private static final Duration RECOVERY = Duration.ofSeconds(10);
  /** The store's command timeout is 2 s; a call may also wait for a reconnect attempt. */
  private static final Duration API_BOUND = Duration.ofSeconds(6);

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

  @Test
  void edgesServeThroughARedisStopAndFreezeAndTheControlPlaneRecoversAlone() throws Exception {
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

    cluster = new KasokuProcesses("RedisOutageIT", work, redis.url(), 3);
    Node control = cluster.node("control", "auth,config,purge,logging,metrics");
    Node edge1 = cluster.node("edge-1", "cache-edge");
    Node edge2 = cluster.node("edge-2", "cache-edge");
    List<Node> edges = List.of(edge1, edge2);
    cluster.startAll(control, edge1, edge2);

    Tenant tenant = cluster.createTenant(control, "Redis outage IT");
    String host = "www." + tenant.id() + ".redis-outage.test";
    KasokuProcesses.putSite(control, tenant, "www", host, origin.getAddress().getPort(), new JsonObject());
    for (Node edge : edges) {
      cluster.awaitSite(edge, host, "/hit-0", Duration.ofSeconds(30));
      for (int i = 0; i < 5; i++) {
        assertThat(cluster.fetch(edge, host, "/hit-" + i, 10_000).status()).isEqualTo(200);
      }
    }

    AtomicLong unique = new AtomicLong();
    load = new EdgeLoad(4, t -> n -> {
      Node edge = edges.get(t % 2);
      // every other request a new key: a miss the edge fills from the origin
      String path = n % 2 == 0 ? "/hit-" + (n / 2 % 5) : "/miss-" + t + "-" + unique.incrementAndGet();
      Answer a = cluster.fetch(edge, host, path, 10_000);
      if (a.status() != 200 || !a.body().equals("page " + path)) {
        return edge.name() + " " + path + ": " + a.status() + " " + a.body();
      }
      if (path.startsWith("/hit-") && !a.cacheStatus().contains("; hit")) {
        return edge.name() + " " + path + " not a hit: " + a.cacheStatus();
      }
      return null;
    });
    KasokuProcesses.await("load running", Duration.ofSeconds(20), () -> load.served() > 20);

    // --- Redis stopped, with a site write in flight
    String host2 = "shop." + tenant.id() + ".redis-outage.test";
    JsonObject shop = new JsonObject().put("hostnames", new JsonArray().add(host2))
        .put("origins", new JsonArray().add(new JsonObject().put("url", "http://127.0.0.1:" + origin.getAddress().getPort())));
    CompletableFuture<HttpResponse<String>> write = CompletableFuture.supplyAsync(() -> {
      try {
        return api(control, "PUT", "/v1/tenants/" + tenant.id() + "/sites/shop", tenant.key(), shop);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    redis.stop();
    long stoppedAt = System.nanoTime();
    HttpResponse<String> written = write.get(30, TimeUnit.SECONDS);
    int writeStatus = written.statusCode();
    assertThat(writeStatus).as("the write in flight: applied or refused as unavailable: %s", written.body())
        .isIn(200, 503);

    Duration controlDown = KasokuProcesses.await("control readiness down", Duration.ofSeconds(15),
        () -> readiness(control) == 503);
    long t0 = System.nanoTime();
    HttpResponse<String> refused = api(control, "GET", "/v1/tenants/" + tenant.id() + "/sites/www", tenant.key(), null);
    Duration apiTook = Duration.ofNanos(System.nanoTime() - t0);
    assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
    assertThat(refused.headers().firstValue("Content-Type")).hasValueSatisfying(
        ct -> assertThat(ct).startsWith("application/problem+json"));
    assertThat(apiTook).as("the API answers within its timeout").isLessThan(API_BOUND);
    int servedAtStop = load.served();
    KasokuProcesses.await("edges serve during the outage", Duration.ofSeconds(30),
        () -> load.served() > servedAtStop + 40 && System.nanoTime() - stoppedAt > TimeUnit.SECONDS.toNanos(3));
    for (Node edge : edges) {
      HttpResponse<String> ready = KasokuProcesses.send(java.net.http.HttpRequest.newBuilder(
          java.net.URI.create(edge.apiBase() + "/readyz")), Duration.ofSeconds(10));
      assertThat(ready.statusCode()).as("%s stays ready without Redis: %s", edge.name(), ready.body()).isEqualTo(200);
    }
    assertThat(load.failed()).as("edge requests during the outage: %s", load).isZero();
    long outageMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppedAt);

    // --- Redis started again
    redis.start();
    Duration stopRecovery = KasokuProcesses.await("recovery after the restart", RECOVERY,
        () -> readiness(control) == 200 && api(control, "GET", "/v1/tenants/" + tenant.id() + "/sites/www",
            tenant.key(), null, Duration.ofSeconds(5)).statusCode() == 200);
    HttpResponse<String> stored = api(control, "GET", "/v1/tenants/" + tenant.id() + "/sites/shop", tenant.key(), null);
    if (writeStatus == 200) {
      assertThat(stored.statusCode()).as("an acknowledged write survives: %s", stored.body()).isEqualTo(200);
    }
    if (stored.statusCode() == 404) {
      // absent, and nothing of it left behind (the hostname is free): the same write now succeeds
      HttpResponse<String> again = api(control, "PUT", "/v1/tenants/" + tenant.id() + "/sites/shop", tenant.key(), shop);
      assertThat(again.statusCode()).as("the refused write left nothing half done: %s", again.body()).isEqualTo(200);
    } else {
      assertThat(stored.statusCode()).as(stored.body()).isEqualTo(200);
      assertThat(new JsonObject(stored.body()).getJsonArray("hostnames")).containsExactly(host2);
    }
    for (Node edge : edges) {
      cluster.awaitSite(edge, host2, "/shop", Duration.ofSeconds(20));
    }

    // --- Redis frozen for 20 s (SIGSTOP), then resumed
    KasokuProcesses.signal(redis.process(), "STOP");
    long frozenAt = System.nanoTime();
    long slowestApiMs = 0;
    int apiCalls = 0;
    try {
      while (System.nanoTime() - frozenAt < TimeUnit.SECONDS.toNanos(20)) {
        long c0 = System.nanoTime();
        HttpResponse<String> r = api(control, "GET", "/v1/tenants/" + tenant.id() + "/sites/www", tenant.key(), null);
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - c0);
        slowestApiMs = Math.max(slowestApiMs, took);
        apiCalls++;
        assertThat(r.statusCode()).as("while Redis is frozen: %s", r.body()).isEqualTo(503);
        assertThat(took).as("every API call is bounded by the store timeout").isLessThan(API_BOUND.toMillis());
        Thread.sleep(500);
      }
      assertThat(readiness(control)).as("control readiness while Redis is frozen").isEqualTo(503);
      for (Node edge : edges) {
        assertThat(readiness(edge)).as("%s readiness while Redis is frozen", edge.name()).isEqualTo(200);
      }
    } finally {
      KasokuProcesses.signal(redis.process(), "CONT");
    }
    Duration freezeRecovery = KasokuProcesses.await("recovery after SIGCONT", RECOVERY,
        () -> readiness(control) == 200 && api(control, "GET", "/v1/tenants/" + tenant.id() + "/sites/www",
            tenant.key(), null, Duration.ofSeconds(5)).statusCode() == 200);
    load.stop();
    assertThat(load.failed()).as("edge requests over the whole test: %s", load).isZero();
    assertThat(load.slowestMs()).as("no edge request waited on Redis").isLessThan(5000);

    System.out.printf("MEASURED: Redis stopped %d ms: control readiness down after %d ms, API 503 in %d ms, "
            + "write in flight %d; recovered %d ms after the start; frozen 20 s: %d API calls, slowest %d ms, "
            + "recovered %d ms after SIGCONT; edges %s%n",
        outageMs, controlDown.toMillis(), apiTook.toMillis(), writeStatus, stopRecovery.toMillis(), apiCalls,
        slowestApiMs, freezeRecovery.toMillis(), load);
  }
}
