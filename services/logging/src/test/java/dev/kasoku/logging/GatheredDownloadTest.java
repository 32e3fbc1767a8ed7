package dev.kasoku.logging;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MultiMapConfig;
import dev.kasoku.common.api.ApiRouter;
import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages.AccessLogBatch;
import dev.kasoku.common.bus.Messages.AccessLogRecord;
import dev.kasoku.common.bus.RecordCodec;
import dev.kasoku.common.config.ConfigLoader;
import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.http.Health;
import dev.kasoku.common.model.Ids;
import dev.kasoku.common.model.TenantRole;
import dev.kasoku.common.service.ServiceContext;
import dev.kasoku.common.store.redis.RedisStore;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.FreePorts;
import dev.kasoku.common.testing.MutableClock;
import dev.kasoku.common.testing.TempStores;
import dev.kasoku.common.testing.TestCredentials;
import dev.kasoku.common.testing.TestRedis;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two logging instances, each with its own data directory, as two clustered Vert.x instances in one
 * JVM (Hazelcast, TCP-IP on loopback) sharing one Redis store: a download through one of them is
 * gathered from both and merged by time, never mixes tenants, and names the instance that is gone.
 *
 * <p>To put records on one instance only, the test stores the first batches while only instance A
 * runs logging, then stops A's logging role and stores the next ones on B, then starts A's again on
 * its directory (as a restart would).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GatheredDownloadTest {
  private static final Instant T0 = Instant.parse("2026-12-01T10:15:00Z");
  private final MutableClock clock = new MutableClock(T0.plus(Duration.ofHours(2)));
  private final String root = TestRedis.randomRoot();
  private final String tenant1 = "g" + Ids.random(10);
  private final String tenant2 = "h" + Ids.random(10);
  private Vertx a;
  private Vertx b;
  private RedisStore storeA;
  private RedisStore storeB;
  private Path dirA;
  private Path dirB;
  private HttpServer server;
  private WebClient http;

  @BeforeEach
  void cluster() {
    String name = "kasoku-test-" + Ids.random(8);
    List<Integer> ports = FreePorts.take(2);
    List<String> members = List.of("127.0.0.1:" + ports.get(0), "127.0.0.1:" + ports.get(1));
    a = clustered(name, ports.get(0), members);
    b = clustered(name, ports.get(1), members);
    storeA = new RedisStore(a, TestRedis.url(), root, Duration.ofSeconds(5), clock);
    storeB = new RedisStore(b, TestRedis.url(), root, Duration.ofSeconds(5), clock);
    dirA = TempStores.newDirectory();
    dirB = TempStores.newDirectory();
    http = WebClient.create(a);
  }

  @AfterEach
  void stop() {
    try {
      Await.result(storeA.close());
      TestRedis.deleteAll(a, root);
      if (b != null) {
        Await.result(storeB.close());
        Await.result(b.close());
      }
      Await.result(a.close());
    } finally {
      TempStores.deleteRecursively(dirA);
      TempStores.deleteRecursively(dirB);
    }
  }

  private ServiceContext context(Vertx vertx, RedisStore store, Path dataDir, ApiRouter api) {
    KasokuConfig config = ConfigLoader.load(Map.of("KASOKU_SECRET_KEY", "gathered-download-tests-secret-key-32!!",
        "KASOKU_DATA_DIR", dataDir.toString()));
    return new ServiceContext(config, store, new Health(), api, clock);
  }

  private String deployLogging(Vertx vertx, RedisStore store, Path dataDir, ApiRouter api) {
    return Await.result(vertx.deployVerticle(new LoggingVerticle(context(vertx, store, dataDir, api))));
  }

  private static AccessLogRecord record(String tenant, Instant ts, String path) {
    return new AccessLogRecord(ts, tenant, "www", "www.example", "192.0.2.10", "GET", path, "HTTP/1.1", 200, 10,
        "hit", 1, 2, "ua", null, "edge-1", "req-" + path);
  }

  /** Sends a batch from {@code from}'s bus, as an edge does, and waits for the answer. */
  private static void send(Vertx from, List<AccessLogRecord> records) {
    assertThat(Await.result(Addresses.LOG_ACCESS.request(from.eventBus(), new AccessLogBatch(records),
        new DeliveryOptions().setSendTimeout(10_000))).body()).isEqualTo(records.size());
  }

  private HttpResponse<Buffer> logs(String tenant, String key, boolean gzip) {
    var req = http.get(server.actualPort(), "127.0.0.1", "/v1/tenants/" + tenant + "/logs?from=" + T0 + "&to="
        + T0.plus(Duration.ofHours(1))).bearerTokenAuthentication(key);
    if (gzip) {
      req.putHeader("Accept-Encoding", "gzip");
    }
    return Await.result(req.send(), 60_000);
  }

  private static String instanceId(Path dataDir) throws Exception {
    return Files.readString(dataDir.resolve("logs").resolve("instance-id")).trim();
  }

  /**
   * Stores {@code onA} on instance A only and {@code onB} on B only, then runs both, A serving the
   * API: A's logging alone first, then B's alone, then A's again on its directory.
   */
  private void storeOnEach(List<List<AccessLogRecord>> onA, List<List<AccessLogRecord>> onB) {
    String first = deployLogging(a, storeA, dirA, Await.result(ApiRouter.load(a)));
    onA.forEach(batch -> send(b, batch));
    Await.result(a.undeploy(first));
    deployLogging(b, storeB, dirB, Await.result(ApiRouter.load(b)));
    onB.forEach(batch -> send(a, batch));
    ApiRouter api = Await.result(ApiRouter.load(a));
    deployLogging(a, storeA, dirA, api);
    server = Await.result(a.createHttpServer().requestHandler(api.build()).listen(0, "127.0.0.1"));
  }

  /**
   * An instance that goes away while a download streams: the answer already started, so the header
   * cannot name it; the last line and the trailer do. The client stops reading after the first bytes
   * (back-pressure stalls the merge well before B's records are all fetched: each instance holds
   * megabytes more than the socket buffers take), B's Vert.x is closed, then the client reads on.
   */
  @Test
  void anInstanceThatGoesAwayDuringADownloadIsNamedInTheLastLineAndTheTrailer() throws Exception {
    String pad = "x".repeat(250);
    List<List<AccessLogRecord>> onA = new ArrayList<>();
    List<List<AccessLogRecord>> onB = new ArrayList<>();
    for (int batch = 0; batch < 30; batch++) {
      List<AccessLogRecord> ra = new ArrayList<>();
      List<AccessLogRecord> rb = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        long ms = (batch * 1000L + i) * 100;
        ra.add(record(tenant1, T0.plusMillis(ms), "/a/" + pad));
        rb.add(record(tenant1, T0.plusMillis(ms + 50), "/b/" + pad));
      }
      onA.add(ra);
      onB.add(rb);
    }
    storeOnEach(onA, onB);
    String idB = instanceId(dirB);
    String viewer = TestCredentials.apiKey(storeA, tenant1, TenantRole.VIEWER);

    Vertx client = Vertx.vertx();
    try {
      io.vertx.core.http.HttpClient hc = client.createHttpClient();
      io.vertx.core.http.HttpClientRequest req = Await.result(hc.request(io.vertx.core.http.HttpMethod.GET,
          server.actualPort(), "127.0.0.1", "/v1/tenants/" + tenant1 + "/logs?from=" + T0 + "&to="
              + T0.plus(Duration.ofHours(1))));
      req.putHeader("Authorization", "Bearer " + viewer);
      Buffer body = Buffer.buffer();
      java.util.concurrent.CompletableFuture<Void> ended = new java.util.concurrent.CompletableFuture<>();
      java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
      // the handlers are set when the response arrives, on its event loop, so no chunk goes by unseen
      io.vertx.core.http.HttpClientResponse resp = Await.result(req.send().map(r -> {
        r.handler(chunk -> {
          synchronized (body) {
            body.appendBuffer(chunk);
          }
          started.countDown();
        });
        r.endHandler(v -> ended.complete(null));
        r.exceptionHandler(ended::completeExceptionally);
        return r;
      }));
      assertThat(resp.statusCode()).isEqualTo(200);
      assertThat(resp.getHeader("Kasoku-Log-Missing")).as("both answered the first step").isNull();
      assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
      resp.pause();

      Await.result(storeB.close());
      Await.result(b.close());
      b = null;
      resp.resume();
      ended.get(60, TimeUnit.SECONDS);
      assertThat(resp.trailers().get("Kasoku-Log-Missing")).isEqualTo(idB);
      List<String> lines;
      synchronized (body) {
        lines = body.toString(StandardCharsets.UTF_8).lines().toList();
      }
      JsonObject last = new JsonObject(lines.get(lines.size() - 1));
      assertThat(last.getJsonArray("missingInstances").getList()).containsExactly(idB);
      long fromB = lines.stream().filter(l -> l.contains("\"/b/")).count();
      long fromA = lines.stream().filter(l -> l.contains("\"/a/")).count();
      assertThat(fromA).as("every record of A").isEqualTo(30_000);
      assertThat(fromB).as("B's records up to where it went away").isPositive().isLessThan(30_000);
    } finally {
      Await.result(client.close());
    }
  }

  @Test
  void aDownloadGathersEveryInstanceInTimeOrderWithoutAnotherTenantsLinesAndNamesAnInstanceThatIsGone()
      throws Exception {
    // records of both tenants on A (even seconds) and on B (odd seconds)
    List<AccessLogRecord> onA = new ArrayList<>();
    List<AccessLogRecord> onB = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      (i % 2 == 0 ? onA : onB).add(record(i % 4 < 2 ? tenant1 : tenant2, T0.plusSeconds(i), "/p" + i));
    }
    storeOnEach(List.of(onA), List.of(onB));
    String idA = instanceId(dirA);
    String idB = instanceId(dirB);
    assertThat(idA).isNotEqualTo(idB);
    String viewer1 = TestCredentials.apiKey(storeA, tenant1, TenantRole.VIEWER);
    String viewer2 = TestCredentials.apiKey(storeA, tenant2, TenantRole.VIEWER);

    List<String> expected1 = new ArrayList<>();
    List<String> expected2 = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      (i % 4 < 2 ? expected1 : expected2).add("/p" + i);
    }
    HttpResponse<Buffer> both = logs(tenant1, viewer1, false);
    assertThat(both.statusCode()).isEqualTo(200);
    assertThat(both.getHeader("Kasoku-Log-Instances")).isEqualTo(String.join(", ", new java.util.TreeSet<>(List.of(idA, idB))));
    assertThat(both.getHeader("Kasoku-Log-Missing")).isNull();
    assertThat(paths(both.bodyAsString(), tenant1)).as("both instances' records, merged by time")
        .containsExactlyElementsOf(expected1);
    assertThat(paths(logs(tenant2, viewer2, false).bodyAsString(), tenant2)).containsExactlyElementsOf(expected2);
    assertThat(logs(tenant1, viewer2, false).statusCode()).as("another tenant's viewer").isEqualTo(404);

    HttpResponse<Buffer> zipped = logs(tenant1, viewer1, true);
    assertThat(zipped.getHeader("Content-Encoding")).isEqualTo("gzip");
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(zipped.body().getBytes()))) {
      assertThat(paths(new String(in.readAllBytes(), StandardCharsets.UTF_8), tenant1)).containsExactlyElementsOf(expected1);
    }

    // instance B goes away: the answer says so, at its end and in the trailer
    Await.result(storeB.close());
    Await.result(b.close());
    b = null;
    HttpResponse<Buffer> partial = logs(tenant1, viewer1, false);
    assertThat(partial.statusCode()).isEqualTo(200);
    assertThat(partial.getHeader("Kasoku-Log-Missing")).isEqualTo(idB);
    assertThat(partial.trailers().get("Kasoku-Log-Missing")).isEqualTo(idB);
    List<String> lines = partial.bodyAsString().lines().toList();
    JsonObject last = new JsonObject(lines.get(lines.size() - 1));
    assertThat(last.getBoolean("incomplete")).isTrue();
    assertThat(last.getJsonArray("missingInstances").getList()).containsExactly(idB);
    assertThat(paths(String.join("\n", lines.subList(0, lines.size() - 1)), tenant1))
        .containsExactlyElementsOf(onA.stream().filter(r -> r.tenant().equals(tenant1)).map(AccessLogRecord::path).toList());
  }

  /** The paths of the NDJSON lines, each checked to be of {@code tenant}. */
  private static List<String> paths(String body, String tenant) {
    List<String> out = new ArrayList<>();
    body.lines().forEach(l -> {
      JsonObject r = new JsonObject(l);
      assertThat(r.getString("tenant")).isEqualTo(tenant);
      out.add(r.getString("path"));
    });
    return out;
  }

  private static Vertx clustered(String name, int port, List<String> members) {
    Config hz = new Config().setClusterName(name);
    hz.setProperty("hazelcast.shutdownhook.enabled", "false");
    hz.setProperty("hazelcast.phone.home.enabled", "false");
    hz.setProperty("hazelcast.logging.type", "jdk");
    hz.setProperty("hazelcast.wait.seconds.before.join", "1");
    hz.setProperty("hazelcast.max.wait.seconds.before.join", "2");
    hz.addMultiMapConfig(new MultiMapConfig("__vertx.subs").setBackupCount(1)
        .setValueCollectionType(MultiMapConfig.ValueCollectionType.SET));
    hz.addMapConfig(new MapConfig("__vertx.haInfo").setBackupCount(1));
    hz.addMapConfig(new MapConfig("__vertx.nodeInfo").setBackupCount(1));
    hz.getNetworkConfig().setPort(port).setPortAutoIncrement(false);
    hz.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
    JoinConfig join = hz.getNetworkConfig().getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setConnectionTimeoutSeconds(2).setMembers(members);
    Vertx vertx = Await.result(Vertx.builder()
        .with(new VertxOptions().setEventBusOptions(new EventBusOptions().setHost("127.0.0.1").setPort(0)))
        .withClusterManager(new HazelcastClusterManager(hz))
        .buildClustered(), 60_000);
    RecordCodec.registerAll(vertx);
    return vertx;
  }
}
