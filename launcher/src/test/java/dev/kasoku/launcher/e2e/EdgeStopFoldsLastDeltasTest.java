package dev.kasoku.launcher.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.config.Config;
import dev.kasoku.cacheedge.CacheEdgeVerticle;
import dev.kasoku.cacheedge.EdgeSettings;
import dev.kasoku.common.api.ApiRouter;
import dev.kasoku.common.cluster.ClusterBootstrap;
import dev.kasoku.common.cluster.ClusterNode;
import dev.kasoku.common.config.ConfigLoader;
import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.http.Health;
import dev.kasoku.common.service.ServiceContext;
import dev.kasoku.common.store.StatsStore;
import dev.kasoku.common.store.Store;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.FreePorts;
import dev.kasoku.common.testing.TestCredentials;
import dev.kasoku.common.testing.TestRedis;
import dev.kasoku.common.model.TenantRole;
import dev.kasoku.metrics.MetricsVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A gracefully stopped edge loses no counts: two clustered members in this JVM (Hazelcast TCP-IP on
 * loopback); on one, two real metrics instances, one folding into a real Redis store and one whose
 * store is closed (it refuses what it gets, as an instance whose Redis is away does); on the other,
 * the real edge with two listener instances (two delta streams). The edge serves known traffic and is
 * undeployed at once, before its once-a-second flush, then its Vert.x is closed as an edge-only
 * process does on SIGTERM. The bus alternates between the metrics instances, so one of the two last
 * batches is refused: the stopping edge sends it again (boundedly) until it is acknowledged, and the
 * store holds every request and byte.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class EdgeStopFoldsLastDeltasTest {
  private static final String TENANT = "flush";
  private static final String HOST = "www.flush.test";
  private final String root = TestRedis.randomRoot();
  private final List<ClusterNode> nodes = new ArrayList<>();
  private Vertx side;

  @AfterEach
  void tearDown() throws Exception {
    for (ClusterNode n : nodes) {
      n.vertx().close().await(30, TimeUnit.SECONDS);
    }
    if (side != null) {
      TestRedis.deleteAll(side, root);
      side.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void countsOfTheWindowInFlightAtUndeployAreFolded() throws Exception {
    side = Vertx.vertx();
    HttpServer origin = Await.result(side.createHttpServer().requestHandler(req ->
        req.response().putHeader("Cache-Control", "max-age=60").end("body of " + req.path())).listen(0, "127.0.0.1"));
    Store setup = TestRedis.store(side, root);
    TestCredentials.apiKey(setup, TENANT, TenantRole.VIEWER); // the tenant exists: its counters are folded
    setup.sites().put(TENANT, "www", List.of(HOST), "{\"hostnames\":[\"" + HOST + "\"],\"origins\":[{\"url\":"
        + "\"http://127.0.0.1:" + origin.actualPort() + "\"}]}", "test", Instant.now()).await(5, TimeUnit.SECONDS);

    List<Integer> ports = FreePorts.take(2);
    List<String> members = ports.stream().map(p -> "127.0.0.1:" + p).toList();
    String clusterName = "kasoku-flush-" + UUID.randomUUID();
    List<Future<ClusterNode>> joining = new ArrayList<>();
    for (int port : ports) {
      KasokuConfig.ClusterSettings cs = new KasokuConfig.ClusterSettings(true, "127.0.0.1", port, members,
          Optional.empty(), 0);
      Config hz = ClusterBootstrap.hazelcastConfig(cs).setClusterName(clusterName)
          .setProperty("hazelcast.partition.count", "23");
      joining.add(ClusterBootstrap.startClustered(cs, hz));
    }
    for (Future<ClusterNode> n : joining) {
      nodes.add(n.await(90, TimeUnit.SECONDS));
    }
    KasokuConfig config = ConfigLoader.load(Map.of("KASOKU_NODE_ID", "edge-flush", "KASOKU_EDGE_PORT", "0",
        "KASOKU_BIND_ADDRESS", "127.0.0.1", "KASOKU_ALLOWED_ORIGIN_NETWORKS", "127.0.0.0/8", "KASOKU_EDGE_WARMUP", "1s",
        "KASOKU_SECRET_KEY", "flush-test-secret-key-of-at-least-32-chars"));
    Vertx metricsVertx = nodes.get(0).vertx();
    Store metricsStore = TestRedis.store(metricsVertx, root);
    ApiRouter router = ApiRouter.load(metricsVertx).await(10, TimeUnit.SECONDS);
    metricsVertx.deployVerticle(new MetricsVerticle(new ServiceContext(config, metricsStore, new Health(), router,
        Clock.systemUTC()))).await(10, TimeUnit.SECONDS);
    // a second metrics instance whose store is gone: every batch it gets fails and must be sent again
    Store gone = TestRedis.store(metricsVertx, root);
    gone.close().await(5, TimeUnit.SECONDS);
    metricsVertx.deployVerticle(new MetricsVerticle(new ServiceContext(config, gone, new Health(),
        ApiRouter.load(metricsVertx).await(10, TimeUnit.SECONDS), Clock.systemUTC()))).await(10, TimeUnit.SECONDS);

    Vertx edgeVertx = nodes.get(1).vertx();
    Store edgeStore = TestRedis.store(edgeVertx, root);
    CacheEdgeVerticle edge = new CacheEdgeVerticle(edgeStore, new Health(), Clock.systemUTC(),
        EdgeSettings.from(config).withInstances(2));
    String edgeId = edgeVertx.deployVerticle(edge).await(30, TimeUnit.SECONDS);

    WebClient http = WebClient.create(side, new WebClientOptions().setKeepAlive(false));
    Instant start = Instant.now();
    long requests = 0;
    long bytes = 0;
    for (int i = 0; i < 20; i++) {
      HttpResponse<Buffer> r = Await.result(http.get(edge.port(), "127.0.0.1", "/p" + (i % 7))
          .putHeader("Host", HOST).send());
      assertThat(r.statusCode()).isEqualTo(200);
      requests++;
      bytes += r.body().length();
    }
    // stopped at once, mid-window, and its process gone right after (no later resend can happen)
    edgeVertx.undeploy(edgeId).await(30, TimeUnit.SECONDS);
    edgeStore.close().await(5, TimeUnit.SECONDS);
    edgeVertx.close().await(30, TimeUnit.SECONDS);
    nodes.remove(1);

    StatsStore.Range range = metricsStore.stats().range(TENANT, null, StatsStore.Resolution.SECOND,
        Instant.ofEpochSecond(start.getEpochSecond() - 1), Instant.now().plusSeconds(2), 60)
        .await(10, TimeUnit.SECONDS);
    assertThat(sum(range.of("requests"))).as("requests folded").isEqualTo(requests);
    assertThat(sum(range.of("bytes"))).as("bytes folded").isEqualTo(bytes);
  }

  private static long sum(long[] v) {
    long s = 0;
    for (long x : v) {
      s += x;
    }
    return s;
  }
}
