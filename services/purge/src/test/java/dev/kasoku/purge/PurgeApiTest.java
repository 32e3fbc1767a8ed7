package dev.kasoku.purge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages.AuditEvent;
import dev.kasoku.common.bus.Messages.PurgeCommand;
import dev.kasoku.common.bus.Messages.PurgeScope;
import dev.kasoku.common.bus.RecordCodec;
import dev.kasoku.common.config.ConfigLoader;
import dev.kasoku.common.api.ApiRouter;
import dev.kasoku.common.http.Health;
import dev.kasoku.common.model.PurgeRecord;
import dev.kasoku.common.model.TenantRole;
import dev.kasoku.common.service.ServiceContext;
import dev.kasoku.common.store.Store;
import dev.kasoku.common.testing.TestCredentials;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The purge API on its own (one process, local bus): validation, ownership, rate limit, durability
 * before the 202, fan-out and audit, run once per store ({@link EmbeddedPurgeApiTest},
 * {@link RedisPurgeApiTest}). Completion with real edges is tested in the launcher's cluster tests.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
abstract class PurgeApiTest {
  private static final String T1 = "t1";
  private static final String T2 = "t2";
  private static final int RATE = 5;

  protected Vertx vertx;
  private Store store;
  private HttpServer server;
  private WebClient client;
  private final Map<String, String> keys = new java.util.HashMap<>();
  private final LinkedBlockingQueue<PurgeCommand> published = new LinkedBlockingQueue<>();
  private final LinkedBlockingQueue<AuditEvent> audit = new LinkedBlockingQueue<>();

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    RecordCodec.registerAll(vertx);
    store = openStore(vertx);
    keys.put(T1, TestCredentials.apiKey(store, T1, TenantRole.PURGER));
    keys.put(T2, TestCredentials.apiKey(store, T2, TenantRole.PURGER));
    store.sites().put(T1, "www", List.of("www.t1.example", "img.t1.example"), "{}", "test", Instant.now())
        .await(30, TimeUnit.SECONDS);
    store.sites().put(T2, "www", List.of("www.t2.example"), "{}", "test", Instant.now()).await(30, TimeUnit.SECONDS);
    ApiRouter api = ApiRouter.load(vertx).await(10, TimeUnit.SECONDS);
    ServiceContext ctx = new ServiceContext(ConfigLoader.load(Map.of("KASOKU_NODE_ID", "purge-1")), store,
        new Health(), api, Clock.systemUTC());
    PurgeSettings settings = PurgeSettings.defaults().withWaitTimeout(Duration.ofMillis(300))
        .withRate(RATE, Duration.ofMinutes(1));
    vertx.deployVerticle(new PurgeVerticle(ctx, settings)).await(10, TimeUnit.SECONDS);
    vertx.eventBus().<PurgeCommand>consumer(Addresses.PURGE.address(), m -> published.add(m.body())).completion()
        .await(30, TimeUnit.SECONDS);
    vertx.eventBus().<AuditEvent>consumer(Addresses.AUDIT.address(), m -> audit.add(m.body())).completion()
        .await(30, TimeUnit.SECONDS);
    server = vertx.createHttpServer().requestHandler(api.build()).listen(0, "127.0.0.1").await(30, TimeUnit.SECONDS);
    client = WebClient.create(vertx);
  }

  @AfterEach
  void stop() throws Exception {
    client.close();
    server.close().await(30, TimeUnit.SECONDS);
    store.close().await(10, TimeUnit.SECONDS);
    dropStore(vertx);
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** A fresh, empty store of the kind under test. */
  protected abstract Store openStore(Vertx vertx) throws Exception;

  /** Deletes what {@link #openStore} created (after the store was closed). */
  protected abstract void dropStore(Vertx vertx) throws Exception;

  @Test
  void acceptedPurgeIsInTheLogBeforeThe202AndIsPublishedAndAudited() throws Exception {
    HttpResponse<Buffer> r = post(T1, new JsonObject().put("urls",
        new JsonArray().add("https://WWW.t1.example:8443/a/b?x=1").add("http://www.t1.example/a/b?x=1")));
    assertThat(r.statusCode()).isEqualTo(202);
    JsonObject body = r.bodyAsJsonObject();
    String id = body.getString("id");
    assertThat(body.getString("status")).isEqualTo("done").as("no live edge to wait for");

    List<PurgeRecord> log = store.purgeLog().readAfter(0, 10).await(30, TimeUnit.SECONDS);
    assertThat(log).singleElement().satisfies(rec -> {
      assertThat(rec.id()).isEqualTo(id);
      assertThat(rec.tenant()).isEqualTo(T1);
      assertThat(rec.scope()).isEqualTo(PurgeScope.URL);
      assertThat(rec.targets()).as("canonical, deduplicated").containsExactly("www.t1.example/a/b?x=1");
    });
    PurgeCommand c = published.poll(5, TimeUnit.SECONDS);
    assertThat(c.id()).isEqualTo(id);
    assertThat(c.seq()).isEqualTo(log.get(0).seq());
    assertThat(audit.poll(5, TimeUnit.SECONDS)).satisfies(e -> {
      assertThat(e.tenant()).isEqualTo(T1);
      assertThat(e.action()).isEqualTo("purge.accept");
      assertThat(e.target()).contains(id).contains("www.t1.example/a/b?x=1");
      assertThat(e.sourceIp()).isEqualTo("127.0.0.1");
      assertThat(e.actor()).startsWith("api-key:");
    });

    HttpResponse<Buffer> status = client.get(server.actualPort(), "127.0.0.1", "/v1/tenants/t1/purge/" + id)
        .bearerTokenAuthentication(keys.get(T1)).send().await(30, TimeUnit.SECONDS);
    assertThat(status.statusCode()).isEqualTo(200);
    assertThat(status.bodyAsJsonObject().getString("id")).isEqualTo(id);
  }

  @Test
  void statusOfAnotherTenantsPurgeIsNotFound() throws Exception {
    String id = post(T1, new JsonObject().put("all", true)).bodyAsJsonObject().getString("id");
    HttpResponse<Buffer> r = client.get(server.actualPort(), "127.0.0.1", "/v1/tenants/t2/purge/" + id)
        .bearerTokenAuthentication(keys.get(T2)).send().await(30, TimeUnit.SECONDS);
    assertThat(r.statusCode()).isEqualTo(404);
  }

  /**
   * A purge service started after a purge (a restart, a deploy) still answers its status, from the
   * store: done right away, and partial once the wait bound passed with an edge missing.
   */
  @Test
  void settledStatusesAreAnsweredByAnInstanceStartedLater() throws Exception {
    String done = post(T1, new JsonObject().put("all", true)).bodyAsJsonObject().getString("id");
    Addresses.NODE_HEARTBEAT.publish(vertx.eventBus(), new dev.kasoku.common.bus.Messages.NodeHeartbeat("edge-stuck", List.of("cache-edge"), Instant.now()));
    Thread.sleep(100);
    String partial = post(T1, new JsonObject().put("all", true)).bodyAsJsonObject().getString("id");
    Thread.sleep(600); // past the 300 ms wait bound

    ApiRouter api2 = ApiRouter.load(vertx).await(10, TimeUnit.SECONDS);
    ServiceContext ctx2 = new ServiceContext(ConfigLoader.load(Map.of("KASOKU_NODE_ID", "purge-2")), store,
        new Health(), api2, Clock.systemUTC());
    Vertx other = Vertx.vertx(); // its own bus: it has heard of neither purge
    RecordCodec.registerAll(other);
    try {
      other.deployVerticle(new PurgeVerticle(ctx2, PurgeSettings.defaults())).await(10, TimeUnit.SECONDS);
      HttpServer server2 = other.createHttpServer().requestHandler(api2.build()).listen(0, "127.0.0.1")
          .await(30, TimeUnit.SECONDS);
      JsonObject doneStatus = getStatus(server2.actualPort(), T1, done);
      JsonObject partialStatus = getStatus(server2.actualPort(), T1, partial);

      assertThat(doneStatus.getString("status")).isEqualTo("done");
      assertThat(partialStatus.getString("status")).isEqualTo("partial");
      assertThat(partialStatus.getJsonArray("missing").getList()).containsExactly("edge-stuck");
      HttpResponse<Buffer> foreign = client.get(server2.actualPort(), "127.0.0.1", "/v1/tenants/t2/purge/" + done)
          .bearerTokenAuthentication(keys.get(T2)).send().await(30, TimeUnit.SECONDS);
      assertThat(foreign.statusCode()).isEqualTo(404);
    } finally {
      other.close().await(10, TimeUnit.SECONDS);
    }
  }

  private JsonObject getStatus(int port, String tenant, String id) throws Exception {
    HttpResponse<Buffer> r = client.get(port, "127.0.0.1", "/v1/tenants/" + tenant + "/purge/" + id)
        .bearerTokenAuthentication(keys.get(tenant)).send().await(30, TimeUnit.SECONDS);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonObject();
  }

  @Test
  void malformedPurgesAreRefusedWith400AndNothingIsLogged() throws Exception {
    List<JsonObject> bad = new ArrayList<>();
    bad.add(new JsonObject());
    bad.add(new JsonObject().put("urls", new JsonArray().add("https://www.t1.example/")).put("tags",
        new JsonArray().add("x")));
    bad.add(new JsonObject().put("urls", new JsonArray()));
    bad.add(new JsonObject().put("tags", new JsonArray(IntStream.range(0, 1001).mapToObj(i -> "t" + i).toList())));
    bad.add(new JsonObject().put("urls", new JsonArray().add("ftp://www.t1.example/x")));
    bad.add(new JsonObject().put("urls", new JsonArray().add("/relative/path")));
    bad.add(new JsonObject().put("prefixes", new JsonArray().add("https://www.t1.example/a?x=1")));
    bad.add(new JsonObject().put("tags", new JsonArray().add("two words")));
    bad.add(new JsonObject().put("hosts", new JsonArray().add("not a host")));
    bad.add(new JsonObject().put("all", false));
    bad.add(new JsonObject().put("all", true).put("extra", 1));
    for (JsonObject body : bad) {
      HttpResponse<Buffer> r = post(T1, body);
      assertThat(r.statusCode()).as(body.encode()).isEqualTo(400);
      assertThat(r.getHeader("Content-Type")).startsWith("application/problem+json");
    }
    assertThat(store.purgeLog().lastSeq().await(5, TimeUnit.SECONDS)).isZero();
  }

  @Test
  void aThousandTargetsAreAccepted() throws Exception {
    JsonArray tags = new JsonArray(IntStream.range(0, 1000).mapToObj(i -> "tag-" + i).toList());
    assertThat(post(T1, new JsonObject().put("tags", tags)).statusCode()).isEqualTo(202);
  }

  @Test
  void urlOrHostOfAnotherTenantOrOfNoTenantIsRefusedWith403AndAudited() throws Exception {
    HttpResponse<Buffer> foreign = post(T1, new JsonObject().put("urls",
        new JsonArray().add("https://www.t1.example/ok").add("https://www.t2.example/x")));
    assertThat(foreign.statusCode()).isEqualTo(403);
    assertThat(foreign.bodyAsJsonObject().getString("detail")).contains("www.t2.example")
        .doesNotContain("www.t1.example");
    assertThat(post(T1, new JsonObject().put("hosts", new JsonArray().add("nobody.example"))).statusCode())
        .isEqualTo(403);
    assertThat(post(T1, new JsonObject().put("prefixes", new JsonArray().add("https://www.t2.example/")))
        .statusCode()).isEqualTo(403);
    assertThat(store.purgeLog().lastSeq().await(5, TimeUnit.SECONDS)).isZero();
    assertThat(published).isEmpty();
    AuditEvent refused = audit.poll(5, TimeUnit.SECONDS);
    assertThat(refused.action()).isEqualTo("purge");
    assertThat(refused.outcome()).startsWith("denied");
  }

  @Test
  void tenantOverItsRateIsRefusedWith429AndRetryAfterWhileAnotherTenantIsNot() throws Exception {
    for (int i = 0; i < RATE; i++) {
      assertThat(post(T1, new JsonObject().put("tags", new JsonArray().add("t" + i))).statusCode()).isEqualTo(202);
    }
    HttpResponse<Buffer> limited = post(T1, new JsonObject().put("tags", new JsonArray().add("over")));
    assertThat(limited.statusCode()).isEqualTo(429);
    assertThat(Integer.parseInt(limited.getHeader("Retry-After"))).isBetween(1, 60);
    assertThat(post(T2, new JsonObject().put("all", true)).statusCode()).isEqualTo(202);
  }

  @Test
  void rateLimitIsSharedByEveryPurgeInstanceThroughTheStore() throws Exception {
    // a second purge service on the same store (another process in production)
    ApiRouter api2 = ApiRouter.load(vertx).await(10, TimeUnit.SECONDS);
    ServiceContext ctx2 = new ServiceContext(ConfigLoader.load(Map.of("KASOKU_NODE_ID", "purge-2")), store,
        new Health(), api2, Clock.systemUTC());
    vertx.deployVerticle(new PurgeVerticle(ctx2, PurgeSettings.defaults().withRate(RATE, Duration.ofMinutes(1))))
        .await(10, TimeUnit.SECONDS);
    HttpServer server2 = vertx.createHttpServer().requestHandler(api2.build()).listen(0, "127.0.0.1")
        .await(30, TimeUnit.SECONDS);
    int accepted = 0;
    int limited = 0;
    for (int i = 0; i < RATE + 2; i++) {
      int port = i % 2 == 0 ? server.actualPort() : server2.actualPort();
      int s = client.post(port, "127.0.0.1", "/v1/tenants/t1/purge")
          .bearerTokenAuthentication(keys.get(T1)).sendJsonObject(new JsonObject().put("all", true)).await(5, TimeUnit.SECONDS).statusCode();
      if (s == 202) {
        accepted++;
      } else if (s == 429) {
        limited++;
      }
    }
    server2.close().await(30, TimeUnit.SECONDS);
    assertThat(accepted).isEqualTo(RATE);
    assertThat(limited).isEqualTo(2);
  }

  @Test
  void thePurgeLogIsTrimmedToItsRetention() throws Exception {
    ApiRouter api2 = ApiRouter.load(vertx).await(10, TimeUnit.SECONDS);
    ServiceContext ctx2 = new ServiceContext(ConfigLoader.load(Map.of("KASOKU_NODE_ID", "purge-2")), store,
        new Health(), api2, Clock.systemUTC());
    for (int i = 0; i < RATE; i++) {
      assertThat(post(T1, new JsonObject().put("all", true)).statusCode()).isEqualTo(202);
    }
    long last = store.purgeLog().lastSeq().await(10, TimeUnit.SECONDS);
    vertx.deployVerticle(new PurgeVerticle(ctx2, PurgeSettings.defaults(),
        new PurgeVerticle.LogRetention(2, Duration.ofMillis(50)))).await(10, TimeUnit.SECONDS);

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (store.purgeLog().readAfter(0, 100).await(10, TimeUnit.SECONDS).size() > 2) {
      assertThat(System.nanoTime()).as("log trimmed within 10 s").isLessThan(deadline);
      Thread.sleep(20);
    }
    assertThat(store.purgeLog().readAfter(0, 100).await(10, TimeUnit.SECONDS))
        .extracting(PurgeRecord::seq).containsExactly(last - 1, last);
    assertThat(store.purgeLog().trimmedThrough().await(10, TimeUnit.SECONDS)).isEqualTo(last - 2);
  }

  @Test
  void anEdgesHeartbeatWatermarkCountsAsItsAckForEveryPurgeUpToIt() throws Exception {
    // an edge whose acks never arrive (lost on the bus), but whose heartbeats do
    Addresses.NODE_HEARTBEAT.publish(vertx.eventBus(), new dev.kasoku.common.bus.Messages.NodeHeartbeat(
        "edge-quiet", List.of("cache-edge"), Instant.now(), 0L));
    Thread.sleep(100);
    String id = post(T1, new JsonObject().put("all", true)).bodyAsJsonObject().getString("id");
    long seq = store.purgeLog().lastSeq().await(30, TimeUnit.SECONDS);
    assertThat(getStatus(server.actualPort(), T1, id).getJsonArray("missing").getList()).containsExactly("edge-quiet");

    Addresses.NODE_HEARTBEAT.publish(vertx.eventBus(), new dev.kasoku.common.bus.Messages.NodeHeartbeat(
        "edge-quiet", List.of("cache-edge"), Instant.now(), seq - 1));
    Thread.sleep(100);
    assertThat(getStatus(server.actualPort(), T1, id).getJsonArray("missing").getList())
        .as("a watermark below the purge says nothing about it").containsExactly("edge-quiet");

    Addresses.NODE_HEARTBEAT.publish(vertx.eventBus(), new dev.kasoku.common.bus.Messages.NodeHeartbeat(
        "edge-quiet", List.of("cache-edge"), Instant.now(), seq));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    JsonObject status;
    do {
      Thread.sleep(20);
      status = getStatus(server.actualPort(), T1, id);
    } while (!"done".equals(status.getString("status")) && System.nanoTime() < deadline);
    assertThat(status.getString("status")).isEqualTo("done");
    assertThat(status.getJsonArray("missing").getList()).isEmpty();
  }

  @Test
  void waitAnswersPartialNamingTheLiveEdgeThatDidNotAck() throws Exception {
    // an edge that announces itself but never applies anything (e.g. it is wedged)
    Addresses.NODE_HEARTBEAT.publish(vertx.eventBus(), new dev.kasoku.common.bus.Messages.NodeHeartbeat("edge-stuck", List.of("cache-edge"), Instant.now()));
    long start = System.nanoTime();
    HttpResponse<Buffer> r = client.post(server.actualPort(), "127.0.0.1", "/v1/tenants/t1/purge")
        .addQueryParam("wait", "true").bearerTokenAuthentication(keys.get(T1)).sendJsonObject(new JsonObject().put("all", true)).await(30, TimeUnit.SECONDS);
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertThat(r.statusCode()).isEqualTo(202);
    JsonObject body = r.bodyAsJsonObject();
    assertThat(body.getString("status")).isEqualTo("partial");
    assertThat(body.getJsonArray("missing").getList()).containsExactly("edge-stuck");
    assertThat(tookMs).as("bounded by the wait timeout").isBetween(250L, 3000L);
  }

  private HttpResponse<Buffer> post(String tenant, JsonObject body) throws Exception {
    return client.post(server.actualPort(), "127.0.0.1", "/v1/tenants/" + tenant + "/purge")
        .bearerTokenAuthentication(keys.get(tenant)).sendJsonObject(body).await(30, TimeUnit.SECONDS);
  }
}
