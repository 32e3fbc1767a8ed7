package dev.kasoku.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kasoku.common.config.ConfigLoader;
import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.config.ServiceRole;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher in this JVM with every role, the embedded store in a temp directory and free ports:
 * what an operator and a load balancer see of a freshly started process, and how it stops.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LauncherTest {
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir Path dataDir;
  private Launcher launcher;

  @AfterEach
  void stop() throws Exception {
    if (launcher != null) {
      launcher.stop().await(30, TimeUnit.SECONDS);
    }
  }

  private KasokuConfig config(Map<String, String> extra) {
    Map<String, String> env = new HashMap<>(Map.of(
        "KASOKU_DATA_DIR", dataDir.toString(),
        "KASOKU_BIND_ADDRESS", "127.0.0.1",
        "KASOKU_API_PORT", "0",
        "KASOKU_EDGE_PORT", "0",
        "KASOKU_EDGE_TLS_PORT", "0",
        "KASOKU_SHUTDOWN_GRACE", "5s",
        "KASOKU_EDGE_WARMUP", "1s")); // the readiness test sets its own
    env.putAll(extra);
    return ConfigLoader.load(env);
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + launcher.apiPort() + path))
        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void everyRoleStartsAndTheProcessIsLiveAndReady() throws Exception {
    launcher = Launcher.start(config(Map.of())).await(30, TimeUnit.SECONDS);

    HttpResponse<String> health = get("/healthz");
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(health.body()).getString("status")).isEqualTo("up");

    HttpResponse<String> ready = get("/readyz");
    assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
    JsonObject report = new JsonObject(ready.body());
    assertThat(report.getString("status")).isEqualTo("ready");
    JsonObject checks = report.getJsonObject("checks");
    assertThat(checks.getString("store")).isEqualTo("up");
    assertThat(checks.getString("cluster")).isEqualTo("up");
    assertThat(checks.getString("roles")).isEqualTo("up");
    for (ServiceRole role : ServiceRole.values()) {
      assertThat(checks.getString("role:" + role.id())).as("readiness of role %s", role.id()).isEqualTo("up");
    }
  }

  /**
   * The edge's warm-up runs through its open listeners before the role counts as started: while it
   * runs, the edge port accepts connections and {@code /readyz} still answers 503 (roles starting),
   * so a load balancer sends nothing to a cold edge; once the start completed, 200.
   */
  @Test
  void readinessWaitsForTheEdgeWarmUpWhileTheEdgeListenersAreAlreadyOpen() throws Exception {
    int api = dev.kasoku.common.net.FreePorts.probe("127.0.0.1");
    int edge = dev.kasoku.common.net.FreePorts.probe("127.0.0.1");
    Future<Launcher> starting = Launcher.start(config(Map.of("KASOKU_EDGE_WARMUP", "3s",
        "KASOKU_API_PORT", String.valueOf(api), "KASOKU_EDGE_PORT", String.valueOf(edge))));
    boolean listenersOpenButNotReady = false;
    while (!starting.isComplete()) {
      if (accepts(edge)) {
        try {
          HttpResponse<String> ready = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api + "/readyz"))
              .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
          if (!starting.isComplete()) {
            assertThat(ready.statusCode()).as("not ready while the start (the warm-up) runs").isEqualTo(503);
            listenersOpenButNotReady = true;
          }
        } catch (ConnectException e) {
          // the API listener opens a moment before the edge's; not this test's subject
        }
      }
      Thread.sleep(100);
    }
    launcher = starting.await(30, TimeUnit.SECONDS);
    assertThat(listenersOpenButNotReady).as("the edge listened, warming, before the process was ready").isTrue();
    assertThat(get("/readyz").statusCode()).isEqualTo(200);
  }

  private static boolean accepts(int port) {
    try (java.net.Socket s = new java.net.Socket()) {
      s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void clusteredProcessIsReadyAsAMemberAndLeavesOnStop() throws Exception {
    int hz = dev.kasoku.common.testing.FreePorts.take();
    launcher = Launcher.start(config(Map.of("KASOKU_CLUSTER", "true", "KASOKU_CLUSTER_PORT", String.valueOf(hz),
        "KASOKU_CLUSTER_MEMBERS", "127.0.0.1:" + hz))).await(60, TimeUnit.SECONDS);
    HttpResponse<String> ready = get("/readyz");
    assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
    assertThat(new JsonObject(ready.body()).getJsonObject("checks").getString("cluster")).isEqualTo("up");
    launcher.stop().await(30, TimeUnit.SECONDS);
    launcher = null;
    // the Hazelcast port is free again: the member left and shut down
    try (java.net.ServerSocket again = new java.net.ServerSocket(hz, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      assertThat(again.getLocalPort()).isEqualTo(hz);
    }
  }

  @Test
  void withTheRedisStoreTheProcessIsReady() throws Exception {
    String redis = System.getenv().getOrDefault("KASOKU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15");
    launcher = Launcher.start(config(Map.of("KASOKU_REDIS_URL", redis))).await(60, TimeUnit.SECONDS);
    HttpResponse<String> ready = get("/readyz");
    assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
  }

  @Test
  void unreachableRedisKeepsTheProcessAliveButNotReady() throws Exception {
    int nobody = dev.kasoku.common.testing.FreePorts.take();
    launcher = Launcher.start(config(Map.of("KASOKU_REDIS_URL", "redis://127.0.0.1:" + nobody)))
        .await(60, TimeUnit.SECONDS);
    assertThat(get("/healthz").statusCode()).isEqualTo(200);
    HttpResponse<String> ready = get("/readyz");
    assertThat(ready.statusCode()).isEqualTo(503);
    assertThat(new JsonObject(ready.body()).getJsonObject("checks").getString("store")).startsWith("down");
  }

  /**
   * An edge answers from its cache and the sites it knows while Redis is away, so losing Redis must
   * not take it out of the load balancer; a process with a control role needs Redis for every call.
   */
  @Test
  void anEdgeOnlyProcessStaysReadyWhenRedisGoesAwayAfterItStarted() throws Exception {
    try (dev.kasoku.common.testing.RedisServerProcess redis = dev.kasoku.common.testing.RedisServerProcess.start()) {
      launcher = Launcher.start(config(Map.of("KASOKU_REDIS_URL", redis.url(), "KASOKU_SERVICES", "cache-edge")))
          .await(60, TimeUnit.SECONDS);
      assertThat(get("/readyz").statusCode()).isEqualTo(200);
      redis.kill();
      for (int i = 0; i < 3; i++) {
        HttpResponse<String> ready = get("/readyz");
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
        assertThat(new JsonObject(ready.body()).getJsonObject("checks").getString("store")).isEqualTo("up");
      }
    }
  }

  @Test
  void aControlProcessIsNotReadyWhenRedisGoesAway() throws Exception {
    try (dev.kasoku.common.testing.RedisServerProcess redis = dev.kasoku.common.testing.RedisServerProcess.start()) {
      launcher = Launcher.start(config(Map.of("KASOKU_REDIS_URL", redis.url(), "KASOKU_SERVICES", "auth,config")))
          .await(60, TimeUnit.SECONDS);
      assertThat(get("/readyz").statusCode()).isEqualTo(200);
      redis.kill();
      HttpResponse<String> ready = get("/readyz");
      assertThat(ready.statusCode()).as(ready.body()).isEqualTo(503);
      assertThat(new JsonObject(ready.body()).getJsonObject("checks").getString("store")).startsWith("down");
    }
  }

  @Test
  void everyRoleHasAnEntryVerticle() {
    assertThat(Launcher.ROLES.stream().map(Launcher.RoleVerticle::role)).containsExactlyInAnyOrder(ServiceRole.values());
  }

  @Test
  void onlyTheConfiguredRolesAreDeployed() throws Exception {
    launcher = Launcher.start(config(Map.of("KASOKU_SERVICES", "purge,metrics"))).await(30, TimeUnit.SECONDS);
    JsonObject checks = new JsonObject(get("/readyz").body()).getJsonObject("checks");
    assertThat(checks.fieldNames()).contains("role:purge", "role:metrics")
        .doesNotContain("role:auth", "role:cache-edge", "role:config", "role:logging");
  }

  @Test
  void servesTheApiContractItIsBuiltFrom() throws Exception {
    launcher = Launcher.start(config(Map.of())).await(30, TimeUnit.SECONDS);
    HttpResponse<String> contract = get("/openapi.yaml");
    assertThat(contract.statusCode()).isEqualTo(200);
    assertThat(contract.headers().firstValue("Content-Type")).contains("application/yaml");
    assertThat(contract.body()).isEqualTo(Files.readString(Path.of("../docs/openapi.yaml")));
  }

  @Test
  void unknownPathIsA404Problem() throws Exception {
    launcher = Launcher.start(config(Map.of())).await(30, TimeUnit.SECONDS);
    HttpResponse<String> response = get("/v1/no-such-thing");
    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.headers().firstValue("Content-Type")).contains("application/problem+json");
    assertThat(response.headers().firstValue("X-Request-Id")).isPresent();
    JsonObject problem = new JsonObject(response.body());
    assertThat(problem.getString("type")).isEqualTo("https://kasoku.dev/problems/not-found");
    assertThat(problem.getInteger("status")).isEqualTo(404);
    assertThat(problem.getString("requestId")).isEqualTo(response.headers().firstValue("X-Request-Id").get());
  }

  @Test
  void secondLauncherOnTheSameDataDirIsRefusedClearlyAndTheFirstKeepsServing() throws Exception {
    launcher = Launcher.start(config(Map.of())).await(30, TimeUnit.SECONDS);
    Future<Launcher> second = Launcher.start(config(Map.of()));
    assertThatThrownBy(() -> second.await(30, TimeUnit.SECONDS))
        .isInstanceOf(StartupException.class)
        .hasMessageContaining("data directory " + dataDir.toAbsolutePath().normalize() + " is in use by another Kasoku process")
        .hasMessageContaining("KASOKU_DATA_DIR");
    assertThat(get("/readyz").statusCode()).isEqualTo(200);
  }

  @Test
  void apiPortInUseIsRefusedNamingTheKeyAndReleasesTheDataDirectory() throws Exception {
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      Future<Launcher> refused = Launcher.start(config(Map.of("KASOKU_API_PORT", String.valueOf(taken.getLocalPort()))));
      assertThatThrownBy(() -> refused.await(30, TimeUnit.SECONDS))
          .isInstanceOf(StartupException.class)
          .hasMessageContaining("KASOKU_API_PORT")
          .hasMessageContaining(String.valueOf(taken.getLocalPort()));
    }
    launcher = Launcher.start(config(Map.of())).await(30, TimeUnit.SECONDS);
    assertThat(get("/healthz").statusCode()).isEqualTo(200);
  }

  @Test
  void stopReleasesTheDataDirectorySoANewProcessCanTakeOver() throws Exception {
    launcher = Launcher.start(config(Map.of())).await(30, TimeUnit.SECONDS);
    int port = launcher.apiPort();
    launcher.stop().await(30, TimeUnit.SECONDS);
    assertThatThrownBy(() -> HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz")).build(),
        HttpResponse.BodyHandlers.ofString())).isInstanceOf(ConnectException.class);
    launcher = Launcher.start(config(Map.of())).await(30, TimeUnit.SECONDS);
    assertThat(get("/healthz").statusCode()).isEqualTo(200);
  }

  @Test
  void inFlightRequestFinishesDuringShutdownAndReportsDraining() throws Exception {
    launcher = Launcher.start(config(Map.of())).await(30, TimeUnit.SECONDS);
    // a readiness check that takes a while stands in for a slow API request
    launcher.health().register("slow", () -> Future.future(p ->
        io.vertx.core.Vertx.currentContext().owner().setTimer(1500, id -> p.complete())));
    CompletableFuture<HttpResponse<String>> inFlight = HTTP.sendAsync(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + launcher.apiPort() + "/readyz")).build(),
        HttpResponse.BodyHandlers.ofString());
    Thread.sleep(300); // let the request reach the server before shutdown starts
    long t0 = System.nanoTime();
    Future<Void> stopped = launcher.stop();
    HttpResponse<String> response = inFlight.get(10, TimeUnit.SECONDS);
    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(new JsonObject(response.body()).getBoolean("draining")).isTrue();
    stopped.await(30, TimeUnit.SECONDS);
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
  }
}
