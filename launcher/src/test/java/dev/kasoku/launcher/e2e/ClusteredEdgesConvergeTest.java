package dev.kasoku.launcher.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.config.ConfigLoader;
import dev.kasoku.common.store.Store;
import dev.kasoku.common.store.redis.RedisStore;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.FreePorts;
import dev.kasoku.common.testing.TestRedis;
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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three edge processes (here: three clustered launchers in one JVM, Hazelcast on loopback, one
 * Redis store) converge on a config change within 1 s of the PUT; and when the change never reaches
 * them on the bus (written to the store behind the config service's back), the change-epoch poll
 * brings every edge to it anyway.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ClusteredEdgesConvergeTest {
  private static final String OPERATOR = "e2e-operator-token-with-at-least-32-characters";
  private static final String SECRET = "e2e-secret-key-with-at-least-32-characters!";

  @TempDir Path dataDir;
  private Vertx vertx;
  private WebClient http;
  private final List<Launcher> nodes = new ArrayList<>();
  private final List<Integer> edgePorts = new ArrayList<>();
  private HttpServer originA;
  private HttpServer originB;
  private Store store;
  private String tenant;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    http = WebClient.create(vertx, new WebClientOptions().setKeepAlive(false));
    originA = Await.result(vertx.createHttpServer().requestHandler(req ->
        req.response().putHeader("Cache-Control", "no-store").end("A:" + req.path())).listen(0, "127.0.0.1"));
    originB = Await.result(vertx.createHttpServer().requestHandler(req ->
        req.response().putHeader("Cache-Control", "no-store").end("B:" + req.path())).listen(0, "127.0.0.1"));
    store = RedisStore.create(vertx, TestRedis.url());
    List<Integer> hz = FreePorts.take(3);
    String members = "127.0.0.1:" + hz.get(0) + ",127.0.0.1:" + hz.get(1) + ",127.0.0.1:" + hz.get(2);
    List<Integer> ports = FreePorts.take(6);
    for (int i = 0; i < 3; i++) {
      edgePorts.add(ports.get(i));
      Map<String, String> env = new HashMap<>();
      env.put("KASOKU_SERVICES", i == 0 ? "auth,config,cache-edge" : "cache-edge");
      env.put("KASOKU_NODE_ID", "edge-" + i);
      env.put("KASOKU_CLUSTER", "true");
      env.put("KASOKU_CLUSTER_HOST", "127.0.0.1");
      env.put("KASOKU_CLUSTER_PORT", String.valueOf(hz.get(i)));
      env.put("KASOKU_CLUSTER_MEMBERS", members);
      env.put("KASOKU_REDIS_URL", TestRedis.url());
      env.put("KASOKU_DATA_DIR", dataDir.resolve("node" + i).toString());
      env.put("KASOKU_BIND_ADDRESS", "127.0.0.1");
      env.put("KASOKU_API_PORT", "0");
      env.put("KASOKU_EDGE_PORT", String.valueOf(ports.get(i)));
      env.put("KASOKU_EDGE_TLS_PORT", String.valueOf(ports.get(3 + i)));
      env.put("KASOKU_SECRET_KEY", SECRET);
      env.put("KASOKU_BOOTSTRAP_TOKEN", OPERATOR);
      env.put("KASOKU_ALLOWED_ORIGIN_NETWORKS", "127.0.0.0/8");
      env.put("KASOKU_SHUTDOWN_GRACE", "2s");
      env.put("KASOKU_EDGE_WARMUP", "1s");
      nodes.add(Launcher.start(ConfigLoader.load(env)).await(90, TimeUnit.SECONDS));
    }
  }

  @AfterEach
  void stop() throws Exception {
    for (Launcher n : nodes) {
      n.stop().await(30, TimeUnit.SECONDS);
    }
    if (tenant != null) {
      Await.result(store.eraseTenant(tenant));
    }
    Await.result(store.close());
    Await.result(vertx.close());
  }

  private HttpResponse<Buffer> api(HttpMethod method, String path, String key, JsonObject body) {
    var req = http.request(method, nodes.get(0).apiPort(), "127.0.0.1", path).bearerTokenAuthentication(key);
    return Await.result(body == null ? req.send() : req.sendJsonObject(body));
  }

  private JsonObject site(String host, HttpServer origin) {
    return new JsonObject().put("hostnames", new JsonArray().add(host))
        .put("origins", new JsonArray().add(new JsonObject().put("url", "http://127.0.0.1:" + origin.actualPort())));
  }

  /** Milliseconds until every edge answers {@code expected} for the host (or fails after {@code limit}). */
  private long awaitAllEdges(String host, String path, String expected, Duration limit) throws InterruptedException {
    long start = System.nanoTime();
    long deadline = start + limit.toNanos();
    boolean[] done = new boolean[edgePorts.size()];
    while (System.nanoTime() < deadline) {
      boolean all = true;
      for (int i = 0; i < edgePorts.size(); i++) {
        if (!done[i]) {
          HttpResponse<Buffer> r = Await.result(http.get(edgePorts.get(i), "127.0.0.1", path).putHeader("Host", host).send());
          done[i] = r.statusCode() == 200 && expected.equals(r.bodyAsString());
        }
        all &= done[i];
      }
      if (all) {
        return (System.nanoTime() - start) / 1_000_000;
      }
      Thread.sleep(10);
    }
    throw new AssertionError("not every edge serves " + expected + " within " + limit);
  }

  @Test
  void threeEdgesServeTheNewConfigWithinOneSecondAndCatchUpOnAMissedMessage() throws Exception {
    HttpResponse<Buffer> created = api(HttpMethod.POST, "/v1/tenants", OPERATOR, new JsonObject().put("name", "Cluster"));
    assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
    tenant = created.bodyAsJsonObject().getString("id");
    String key = created.bodyAsJsonObject().getString("adminApiKey");
    String host = "www." + tenant + ".cluster.test";

    assertThat(api(HttpMethod.PUT, "/v1/tenants/" + tenant + "/sites/web", key, site(host, originA)).statusCode())
        .isEqualTo(200);
    awaitAllEdges(host, "/v1", "A:/v1", Duration.ofSeconds(10));

    long putAt = System.nanoTime();
    assertThat(api(HttpMethod.PUT, "/v1/tenants/" + tenant + "/sites/web", key, site(host, originB)).statusCode())
        .isEqualTo(200);
    long sincePut = awaitAllEdges(host, "/v2", "B:/v2", Duration.ofSeconds(5));
    long totalMs = (System.nanoTime() - putAt) / 1_000_000;
    System.out.println("MEASURED: three clustered edges converged " + totalMs + " ms after the PUT was sent ("
        + sincePut + " ms after it answered)");
    assertThat(totalMs).as("all three edges serve the new origin within 1 s of the PUT").isLessThan(1000);

    // a change no bus message announces: only the store's change epoch tells the edges
    String stored = site(host, originA).encode();
    Await.result(store.sites().put(tenant, "web", List.of(host), stored, "test:behind-the-bus", Instant.now()));
    long missed = awaitAllEdges(host, "/v3", "A:/v3", Duration.ofSeconds(5));
    System.out.println("MEASURED: edges caught up with an unannounced change in " + missed + " ms (epoch poll)");
  }
}
