package dev.kasoku.logging.sink;

import static org.assertj.core.api.Assertions.assertThat;

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
import dev.kasoku.common.store.Store;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.TempStores;
import dev.kasoku.common.testing.TestCredentials;
import dev.kasoku.common.testing.TestRedis;
import dev.kasoku.logging.LoggingSettings;
import dev.kasoku.logging.LoggingVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * A logging role with a real bus, API, embedded store and log directory, for the sink tests: the
 * tests send access-log batches as an edge does, configure sinks through the API and read their
 * health back. Loopback receivers are allowed ({@code KASOKU_ALLOWED_ORIGIN_NETWORKS}); retries are
 * fast. {@link #restart} stops the role and starts it again on the same directories, as a process
 * restart would.
 */
final class SinkHarness implements AutoCloseable {
  /** Fast retries so an outage of a second or two is retried several times. */
  static final SinkSettings FAST = new SinkSettings(Duration.ofMillis(50), Duration.ofMillis(400),
      Duration.ofMillis(300), Duration.ofSeconds(2), Duration.ofMillis(200), Duration.ofMillis(200));

  /** The system clock plus a shift the test can move forward (time passing without waiting). */
  static final class ShiftableClock extends Clock {
    private volatile Duration shift = Duration.ZERO;

    void advance(Duration d) {
      shift = shift.plus(d);
    }

    @Override
    public Instant instant() {
      return Instant.now().plus(shift);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }

  final ShiftableClock clock = new ShiftableClock();
  final Path dataDir = TempStores.newDirectory();
  final Path storeDir = TempStores.newDirectory();
  final String tenant;
  private final Map<String, String> env;
  /** The Redis key root this instance's store uses; null: an embedded store of its own. */
  private final String redisRoot;
  private final SinkSettings settings;
  Vertx vertx;
  Store store;
  HttpServer api;
  WebClient http;
  String admin;
  String viewer;

  SinkHarness() {
    this(Map.of());
  }

  SinkHarness(Map<String, String> extraEnv) {
    this(extraEnv, null, "t" + Ids.random(10));
  }

  /**
   * A logging instance of its own (its own Vert.x, bus and log directory) on the shared test Redis
   * under {@code redisRoot}: several of them are the logging instances of one cluster.
   */
  static SinkHarness onRedis(String redisRoot, String tenant, SinkSettings settings) {
    return new SinkHarness(Map.of(), redisRoot, tenant, settings);
  }

  private SinkHarness(Map<String, String> extraEnv, String redisRoot, String tenant) {
    this(extraEnv, redisRoot, tenant, FAST);
  }

  private SinkHarness(Map<String, String> extraEnv, String redisRoot, String tenant, SinkSettings settings) {
    this.redisRoot = redisRoot;
    this.tenant = tenant;
    this.settings = settings;
    Map<String, String> e = new HashMap<>(Map.of("KASOKU_SECRET_KEY", "log-sink-tests-secret-key-32-chars!!!",
        "KASOKU_DATA_DIR", dataDir.toString(), "KASOKU_ALLOWED_ORIGIN_NETWORKS", "127.0.0.0/8,::1/128"));
    e.putAll(extraEnv);
    env = Map.copyOf(e);
    boot();
    admin = TestCredentials.apiKey(store, tenant, TenantRole.ADMIN);
    viewer = TestCredentials.apiKey(store, tenant, TenantRole.VIEWER);
  }

  private void boot() {
    vertx = Vertx.vertx();
    RecordCodec.registerAll(vertx);
    store = redisRoot == null ? TempStores.embedded(vertx, storeDir, clock) : TestRedis.store(vertx, redisRoot, clock);
    KasokuConfig config = ConfigLoader.load(env);
    ApiRouter router = Await.result(ApiRouter.load(vertx));
    ServiceContext ctx = new ServiceContext(config, store, new Health(), router, clock);
    Await.result(vertx.deployVerticle(new LoggingVerticle(ctx, LoggingSettings.defaults(), settings)));
    api = Await.result(vertx.createHttpServer().requestHandler(router.build()).listen(0, "127.0.0.1"));
    http = WebClient.create(vertx);
  }

  /** Stops the role (cleanly) and starts it again on the same store and log directory. */
  void restart() {
    shutDown();
    boot();
  }

  private void shutDown() {
    for (String id : vertx.deploymentIDs()) {
      Await.result(vertx.undeploy(id));
    }
    Await.result(store.close());
    Await.result(vertx.close());
  }

  @Override
  public void close() {
    shutDown();
    TempStores.deleteRecursively(dataDir);
    TempStores.deleteRecursively(storeDir);
  }

  /** One access-log record of the tenant, stamped now, that a test recognises by its path. */
  AccessLogRecord record(String site, int status, String cacheStatus, String path) {
    return new AccessLogRecord(clock.instant(), tenant, site, site + ".example", "192.0.2.7", "GET", path, "HTTP/1.1",
        status, 512, cacheStatus, 2, 4, "curl/8", null, "edge-1", "req-" + path);
  }

  /** Sends records as an edge does, in batches, each answered once it is on disk. */
  void send(List<AccessLogRecord> records) {
    for (int from = 0; from < records.size(); from += 100) {
      List<AccessLogRecord> batch = records.subList(from, Math.min(records.size(), from + 100));
      Object stored = Await.result(Addresses.LOG_ACCESS.request(vertx.eventBus(), new AccessLogBatch(new ArrayList<>(batch)),
          new DeliveryOptions().setSendTimeout(10_000))).body();
      assertThat(stored).isEqualTo(batch.size());
    }
  }

  /** {@code count} records with paths {@code prefix0..}, site www, status 200, hit. */
  List<AccessLogRecord> records(String prefix, int count) {
    List<AccessLogRecord> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(record("www", 200, "hit", prefix + i));
    }
    return out;
  }

  HttpResponse<Buffer> putSinks(String key, JsonObject body) {
    return Await.result(http.put(api.actualPort(), "127.0.0.1", "/v1/tenants/" + tenant + "/log-sinks")
        .bearerTokenAuthentication(key).sendJsonObject(body));
  }

  /** PUTs the list as admin and asserts it was stored. */
  JsonObject putSinks(JsonObject body) {
    HttpResponse<Buffer> r = putSinks(admin, body);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonObject();
  }

  HttpResponse<Buffer> getSinks(String key) {
    return Await.result(http.get(api.actualPort(), "127.0.0.1", "/v1/tenants/" + tenant + "/log-sinks")
        .bearerTokenAuthentication(key).send());
  }

  /** The health of the named sink, as a viewer sees it. */
  JsonObject health(String sink) {
    HttpResponse<Buffer> r = getSinks(viewer);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    for (Object o : r.bodyAsJsonObject().getJsonArray("sinks")) {
      JsonObject s = (JsonObject) o;
      if (sink.equals(s.getString("name"))) {
        return s.getJsonObject("health");
      }
    }
    throw new AssertionError("no sink " + sink + " in " + r.bodyAsString());
  }

  /** Waits (polling) until the condition holds, failing with {@code what} after {@code timeoutMs}. */
  static void await(String what, long timeoutMs, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      try {
        Thread.sleep(25);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}
