package dev.kasoku.launcher.purge;

import static dev.kasoku.launcher.purge.PurgeFixtures.get;
import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.config.Config;
import dev.kasoku.cacheedge.CacheEdgeVerticle;
import dev.kasoku.cacheedge.EdgeSettings;
import dev.kasoku.common.cluster.ClusterBootstrap;
import dev.kasoku.common.cluster.ClusterNode;
import dev.kasoku.common.config.ConfigLoader;
import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.api.ApiRouter;
import dev.kasoku.common.http.Health;
import dev.kasoku.common.model.TenantRole;
import dev.kasoku.common.service.ServiceContext;
import dev.kasoku.common.store.Store;
import dev.kasoku.common.testing.FreePorts;
import dev.kasoku.common.testing.TestCredentials;
import dev.kasoku.common.testing.TestRedis;
import dev.kasoku.launcher.purge.PurgeFixtures.Resp;
import dev.kasoku.purge.PurgeSettings;
import dev.kasoku.purge.PurgeVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Purge across three clustered edges in this JVM (Hazelcast TCP-IP on loopback, one Vert.x per
 * edge), all on one Redis store, with the purge API on the first node and a real origin: what a
 * customer sees through the edges' HTTP listeners after a purge.
 *
 * <p>The cluster is started once for the class (joining takes seconds); tests use distinct paths so
 * they do not see each other's objects, and the one that takes an edge away runs last.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class PurgeClusterTest {
  private static final String T1 = "t1";
  private static final String T2 = "t2";
  private static final String H1 = "www.t1.test";
  private static final String H2 = "www.t2.test";
  private static final Duration WAIT = Duration.ofSeconds(5);
  /** The edge agent's default log check interval (500 ms), plus scheduling slack on a loaded CI machine. */
  private static final long CHECK_BOUND_MS = 500 + 2000;

  private final String root = TestRedis.randomRoot();
  private final List<ClusterNode> nodes = new ArrayList<>();
  private final List<Store> stores = new ArrayList<>();
  private final List<CacheEdgeVerticle> edges = new ArrayList<>();
  private Vertx side;
  private TestOriginServer origin;
  private HttpServer api;
  private WebClient web;
  private HttpClient http;
  private String key1;
  private String key2;

  @BeforeAll
  void startCluster() throws Exception {
    side = Vertx.vertx();
    origin = new TestOriginServer(side);
    Store setup = TestRedis.store(side, root);
    key1 = TestCredentials.apiKey(setup, T1, TenantRole.PURGER);
    key2 = TestCredentials.apiKey(setup, T2, TenantRole.PURGER);
    PurgeFixtures.site(setup, T1, "www", H1, origin.url());
    PurgeFixtures.site(setup, T2, "www", H2, origin.url());
    setup.close().await(5, TimeUnit.SECONDS);

    List<Integer> ports = FreePorts.take(3);
    List<String> members = ports.stream().map(p -> "127.0.0.1:" + p).toList();
    String clusterName = "kasoku-purge-" + UUID.randomUUID();
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
    for (int i = 0; i < 3; i++) {
      Vertx vertx = nodes.get(i).vertx();
      Store store = TestRedis.store(vertx, root);
      stores.add(store);
      KasokuConfig config = ConfigLoader.load(Map.of("KASOKU_NODE_ID", "edge-" + i, "KASOKU_EDGE_PORT", "0",
          "KASOKU_BIND_ADDRESS", "127.0.0.1", "KASOKU_ALLOWED_ORIGIN_NETWORKS", "127.0.0.0/8", "KASOKU_EDGE_WARMUP", "1s",
          // a configured key: without one, dev mode would write a key file into the working directory
          "KASOKU_SECRET_KEY", "purge-test-secret-key-of-at-least-32-chars"));
      EdgeSettings settings = EdgeSettings.from(config).withInstances(1);
      CacheEdgeVerticle edge = new CacheEdgeVerticle(store, new Health(), Clock.systemUTC(), settings);
      vertx.deployVerticle(edge).await(30, TimeUnit.SECONDS);
      edges.add(edge);
      if (i == 0) {
        ApiRouter router = ApiRouter.load(vertx).await(10, TimeUnit.SECONDS);
        ServiceContext ctx = new ServiceContext(config, store, new Health(), router, Clock.systemUTC());
        vertx.deployVerticle(new PurgeVerticle(ctx, PurgeSettings.defaults().withWaitTimeout(WAIT)
            .withRate(10_000, Duration.ofMinutes(1)))).await(10, TimeUnit.SECONDS);
        api = vertx.createHttpServer().requestHandler(router.build()).listen(0, "127.0.0.1")
            .await(10, TimeUnit.SECONDS);
      }
    }
    web = WebClient.create(side);
    http = side.createHttpClient();
    // the purge service expects the edges it has heard: wait until all three heartbeats arrived
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      JsonObject s = purge(T1, key1, new JsonObject().put("tags", new JsonArray().add("warm-up")), true)
          .bodyAsJsonObject();
      if (s.getJsonArray("nodes").size() == 3 && "done".equals(s.getString("status"))) {
        break;
      }
      assertThat(System.nanoTime()).as("three edges announced and acking").isLessThan(deadline);
      Thread.sleep(200);
    }
  }

  @AfterAll
  void stopCluster() throws Exception {
    if (http != null) {
      http.close().await(5, TimeUnit.SECONDS);
      web.close();
    }
    for (Store s : stores) {
      s.close().await(10, TimeUnit.SECONDS);
    }
    for (ClusterNode n : nodes) {
      n.close().await(30, TimeUnit.SECONDS);
    }
    if (origin != null) {
      origin.close();
    }
    TestRedis.deleteAll(side, root);
    side.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  @Order(1)
  void purgeReachesEveryEdgeAndIsDoneWhenAllThreeAcked() throws Exception {
    for (CacheEdgeVerticle e : edges) {
      get(http, e.port(), H1, "/fanout");
      assertThat(get(http, e.port(), H1, "/fanout").hit()).as("primed").isTrue();
    }
    origin.bump(H1, "/fanout");

    HttpResponse<Buffer> r = purge(T1, key1, new JsonObject().put("urls", new JsonArray()
        .add("https://" + H1 + "/fanout")), true);

    assertThat(r.statusCode()).isEqualTo(202);
    JsonObject status = r.bodyAsJsonObject();
    assertThat(status.getString("status")).isEqualTo("done");
    assertThat(status.getJsonArray("nodes").getList()).containsExactly("edge-0", "edge-1", "edge-2");
    assertThat(status.getJsonObject("acked").getMap()).containsOnlyKeys("edge-0", "edge-1", "edge-2")
        .allSatisfy((node, applied) -> assertThat(((Number) applied).longValue()).isEqualTo(1));
    assertThat(status.getLong("tookMs")).isNotNull().isLessThan(WAIT.toMillis());
    for (CacheEdgeVerticle e : edges) {
      Resp after = get(http, e.port(), H1, "/fanout");
      assertThat(after.hit()).isFalse();
      assertThat(after.body()).endsWith("v2");
    }
    HttpResponse<Buffer> polled = web.get(api.actualPort(), "127.0.0.1", "/v1/tenants/t1/purge/"
        + status.getString("id")).bearerTokenAuthentication(key1).send().await(5, TimeUnit.SECONDS);
    assertThat(polled.bodyAsJsonObject().getString("status")).isEqualTo("done");
  }

  @Test
  @Order(2)
  void edgeWhoseBusConsumerIsBlockedStopsServingTheObjectWithinTheCheckPeriod() throws Exception {
    CacheEdgeVerticle blocked = edges.get(2);
    get(http, blocked.port(), H1, "/blocked");
    assertThat(get(http, blocked.port(), H1, "/blocked").hit()).isTrue();
    blocked.purge().agent().pauseBus().await(5, TimeUnit.SECONDS);
    try {
      long start = System.nanoTime();
      assertThat(purge(T1, key1, new JsonObject().put("urls", new JsonArray().add("http://" + H1 + "/blocked")),
          false).statusCode()).isEqualTo(202);
      while (get(http, blocked.port(), H1, "/blocked").hit()) {
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).as("still served after the check period")
            .isLessThan(CHECK_BOUND_MS);
        Thread.sleep(20);
      }
    } finally {
      blocked.purge().agent().resumeBus();
    }
  }

  @Test
  @Order(3)
  void originFetchStartedBeforeThePurgeIsNotStoredAsFresh() throws Exception {
    CacheEdgeVerticle edge = edges.get(0);
    origin.slowOnce(H1, "/slow", 1200);
    Future<Resp> inFlight = PurgeFixtures.getAsync(http, edge.port(), H1, "/slow");
    Thread.sleep(300);
    origin.bump(H1, "/slow");
    assertThat(purge(T1, key1, new JsonObject().put("urls", new JsonArray().add("http://" + H1 + "/slow")), true)
        .bodyAsJsonObject().getString("status")).isEqualTo("done");

    Resp old = inFlight.await(10, TimeUnit.SECONDS);
    assertThat(old.body()).as("the slow response was generated before the update").endsWith("v1");
    Resp next = get(http, edge.port(), H1, "/slow");
    assertThat(next.hit()).as("not served from the pre-purge fetch").isFalse();
    assertThat(next.body()).endsWith("v2");
  }

  @Test
  @Order(4)
  void softPurgeMakesTheNextRequestRevalidateWithTheOrigin() throws Exception {
    CacheEdgeVerticle edge = edges.get(1);
    get(http, edge.port(), H1, "/soft/page");
    assertThat(get(http, edge.port(), H1, "/soft/page").hit()).isTrue();
    int conditionalBefore = origin.conditionalRequests(H1, "/soft/page");

    JsonObject status = purge(T1, key1, new JsonObject().put("tags", new JsonArray().add("tag-soft"))
        .put("soft", true), true).bodyAsJsonObject();
    assertThat(status.getString("status")).isEqualTo("done");
    assertThat(status.getJsonObject("acked").getLong("edge-1")).isEqualTo(1);

    // the engine serves a soft-purged object stale while it revalidates (RFC 5861 style), or
    // revalidates first; either way the origin is asked, conditionally, and nothing is refetched
    Resp next = get(http, edge.port(), H1, "/soft/page");
    assertThat(next.body()).endsWith("v1");
    assertThat(next.cacheStatus()).satisfiesAnyOf(
        cs -> assertThat(cs).contains("fwd=stale").contains("fwd-status=304"),
        cs -> assertThat(cs).contains("stale-while-revalidate"));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (origin.conditionalRequests(H1, "/soft/page") == conditionalBefore) {
      assertThat(System.nanoTime()).as("the origin is asked to revalidate").isLessThan(deadline);
      Thread.sleep(20);
    }
    assertThat(origin.conditionalRequests(H1, "/soft/page")).isEqualTo(conditionalBefore + 1);
    assertThat(origin.requests(H1, "/soft/page")).as("one fetch, one revalidation").isEqualTo(2);
  }

  @Test
  @Order(5)
  void purgesOfOneTenantNeverTouchAnotherTenantsObjectsOnTheSamePath() throws Exception {
    CacheEdgeVerticle edge = edges.get(0);
    for (String host : List.of(H1, H2)) {
      get(http, edge.port(), host, "/shared/x");
      assertThat(get(http, edge.port(), host, "/shared/x").hit()).isTrue();
    }
    purge(T1, key1, new JsonObject().put("tags", new JsonArray().add("tag-shared")), true);
    purge(T1, key1, new JsonObject().put("prefixes", new JsonArray().add("http://" + H1 + "/shared/")), true);
    purge(T1, key1, new JsonObject().put("all", true), true);
    assertThat(purge(T1, key1, new JsonObject().put("hosts", new JsonArray().add(H2)), true).statusCode())
        .as("t1 cannot name t2's host").isEqualTo(403);

    assertThat(get(http, edge.port(), H2, "/shared/x").hit()).as("t2's object survives").isTrue();
    assertThat(get(http, edge.port(), H1, "/shared/x").hit()).isFalse();
    assertThat(purge(T2, key2, new JsonObject().put("all", true), true).bodyAsJsonObject().getString("status"))
        .isEqualTo("done");
    assertThat(get(http, edge.port(), H2, "/shared/x").hit()).isFalse();
  }

  @Test
  @Order(99)
  void waitAnswersPartialNamingTheEdgeThatDidNotAck() throws Exception {
    ClusterNode gone = nodes.remove(2);
    stores.remove(2).close().await(10, TimeUnit.SECONDS);
    gone.close().await(30, TimeUnit.SECONDS);

    long start = System.nanoTime();
    JsonObject status = purge(T1, key1, new JsonObject().put("tags", new JsonArray().add("after-loss")), true)
        .bodyAsJsonObject();
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

    assertThat(status.getString("status")).isEqualTo("partial");
    assertThat(status.getJsonArray("missing").getList()).containsExactly("edge-2");
    assertThat(status.getJsonObject("acked").getMap()).containsOnlyKeys("edge-0", "edge-1");
    assertThat(tookMs).as("bounded wait").isBetween(WAIT.toMillis() - 100, WAIT.toMillis() + 2000);
  }

  private HttpResponse<Buffer> purge(String tenant, String key, JsonObject body, boolean wait) throws Exception {
    return web.post(api.actualPort(), "127.0.0.1", "/v1/tenants/" + tenant + "/purge")
        .addQueryParam("wait", Boolean.toString(wait)).bearerTokenAuthentication(key)
        .sendJsonObject(body).await(60, TimeUnit.SECONDS);
  }
}
