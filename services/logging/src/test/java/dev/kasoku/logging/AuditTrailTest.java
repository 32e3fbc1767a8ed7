package dev.kasoku.logging;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.api.ApiRouter;
import dev.kasoku.common.audit.AuditTrail;
import dev.kasoku.common.bus.RecordCodec;
import dev.kasoku.common.config.ConfigLoader;
import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.http.Health;
import dev.kasoku.common.model.AuditRecord;
import dev.kasoku.common.model.Ids;
import dev.kasoku.common.model.TenantRole;
import dev.kasoku.common.security.Caller;
import dev.kasoku.common.security.Principal;
import dev.kasoku.common.service.ServiceContext;
import dev.kasoku.common.store.Store;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.MutableClock;
import dev.kasoku.common.testing.TempStores;
import dev.kasoku.common.testing.TestCredentials;
import dev.kasoku.logging.impl.AuditService;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The audit trail end to end on a real store: events sent by the kit's {@link AuditTrail} over the
 * bus are chained by the logging role, read back over the API with their hashes, verified, kept
 * apart per tenant, cut by retention without breaking verification. Run per store by a subclass.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class AuditTrailTest {
  static final String OPERATOR = "audit-tests-operator-token-of-32-characters";
  protected Vertx vertx;
  protected Store store;
  protected String tenantA;
  protected String tenantB;
  private Path dataDir;
  private HttpServer server;
  private WebClient http;
  private MutableClock clock;
  private AuditTrail trail;
  private String adminA;

  /** A new, empty store on the clock. */
  protected abstract Store openStore(Vertx vertx, Clock clockOf);

  /** Removes what the test wrote (the store is closed). */
  protected abstract void cleanUp();

  /** Type alias so subclasses need not import java.time.Clock next to our MutableClock. */
  protected interface Clock {
    java.time.Clock get();
  }

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    RecordCodec.registerAll(vertx);
    clock = new MutableClock(Instant.parse("2026-12-01T00:00:00Z"));
    store = openStore(vertx, () -> clock);
    dataDir = TempStores.newDirectory();
    tenantA = "a" + Ids.random(10).toLowerCase();
    tenantB = "b" + Ids.random(10).toLowerCase();
    KasokuConfig config = ConfigLoader.load(Map.of("KASOKU_SECRET_KEY", "audit-tests-secret-key-of-32-characters!",
        "KASOKU_DATA_DIR", dataDir.toString(), "KASOKU_BOOTSTRAP_TOKEN", OPERATOR));
    ApiRouter api = Await.result(ApiRouter.load(vertx));
    ServiceContext ctx = new ServiceContext(config, store, new Health(), api, clock);
    Await.result(vertx.deployVerticle(new LoggingVerticle(ctx,
        new LoggingSettings(Duration.ofDays(30), Duration.ofDays(30), Duration.ofHours(1), 3))));
    server = Await.result(vertx.createHttpServer().requestHandler(api.build()).listen(0, "127.0.0.1"));
    http = WebClient.create(vertx);
    trail = new AuditTrail(vertx.eventBus(), clock);
    adminA = TestCredentials.apiKey(store, tenantA, TenantRole.ADMIN);
  }

  @AfterEach
  void stop() {
    Await.result(vertx.close());
    cleanUp();
    TempStores.deleteRecursively(dataDir);
  }

  private static Caller caller(String tenant, String user) {
    return new Caller(new Principal(Principal.Kind.USER, tenant, TenantRole.ADMIN, user, "jti", null), "192.0.2.7",
        "req-" + user);
  }

  private HttpResponse<Buffer> get(String path, String key) {
    return Await.result(http.get(server.actualPort(), "127.0.0.1", path).bearerTokenAuthentication(key).send());
  }

  private List<JsonObject> records(String tenant, String key, String query) {
    HttpResponse<Buffer> r = get("/v1/tenants/" + tenant + "/audit" + query, key);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    assertThat(r.getHeader("Content-Type")).isEqualTo("application/x-ndjson");
    List<JsonObject> out = new ArrayList<>();
    r.bodyAsString().lines().forEach(l -> out.add(new JsonObject(l)));
    return out;
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition in time").isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  private long stored(String tenant) {
    return Await.result(store.audit().head(tenant)).seq();
  }

  @Test
  void eventsSentByEveryServiceAreChainedPerTenantAndReadBackWithTheirHashes() throws Exception {
    for (int i = 0; i < 30; i++) {
      trail.record(caller(tenantA, "alice"), tenantA, "site.put", "www@" + i, AuditTrail.SUCCESS);
    }
    trail.record(caller(tenantB, "bob"), tenantB, "user.create", "carol", AuditTrail.SUCCESS);
    await(() -> stored(tenantA) == 30 && stored(tenantB) == 1);

    List<JsonObject> lines = records(tenantA, adminA, "");
    assertThat(lines).hasSize(30);
    for (int i = 0; i < lines.size(); i++) {
      JsonObject line = lines.get(i);
      assertThat(line.getLong("seq")).isEqualTo(i + 1);
      assertThat(line.getString("tenant")).as("no line of another tenant").isEqualTo(tenantA);
      assertThat(line.getString("actor")).isEqualTo("user:alice");
      assertThat(line.getString("sourceIp")).isEqualTo("192.0.2.7");
      assertThat(line.getString("requestId")).isEqualTo("req-alice");
      assertThat(line.getString("ts")).isEqualTo("2026-12-01T00:00:00.000Z");
      assertThat(line.getString("prevHash")).isEqualTo(i == 0 ? "0".repeat(64) : lines.get(i - 1).getString("hash"));
      assertThat(line.getString("hash")).hasSize(64);
    }
    JsonObject verify = get("/v1/tenants/" + tenantA + "/audit/verify", adminA).bodyAsJsonObject();
    assertThat(verify.getBoolean("ok")).isTrue();
    assertThat(verify.getLong("records")).isEqualTo(30);
    assertThat(verify.getString("head")).isEqualTo(lines.get(29).getString("hash"));
    assertThat(verify.getValue("firstBad")).isNull();
  }

  @Test
  void tenantLifecycleEventsGoToThePlatformChainWhichTheOperatorVerifies() throws Exception {
    trail.record(new Caller(Principal.operator(), "192.0.2.9", "req-op"), tenantA, "tenant.create", tenantA,
        AuditTrail.SUCCESS);
    trail.record(caller(tenantA, "alice"), tenantA, "user.create", "bob", AuditTrail.SUCCESS);
    await(() -> stored(null) >= 1 && stored(tenantA) == 1);
    assertThat(records(tenantA, adminA, "")).extracting(j -> j.getString("action")).containsExactly("user.create");

    JsonObject all = get("/v1/audit/verify", OPERATOR).bodyAsJsonObject();
    assertThat(all.getBoolean("ok")).as(all.encode()).isTrue();
    List<String> chains = new ArrayList<>();
    all.getJsonArray("chains").forEach(c -> chains.add(((JsonObject) c).getString("chain")));
    assertThat(chains).contains("platform", tenantA);
    assertThat(get("/v1/audit/verify", adminA).statusCode()).as("tenant admins cannot").isEqualTo(403);
  }

  @Test
  void recordsAreFilteredByTimeAndABadBoundIsAProblemNamingIt() throws Exception {
    for (int i = 0; i < 4; i++) {
      trail.record(caller(tenantA, "alice"), tenantA, "site.put", "www@" + i, AuditTrail.SUCCESS);
      int expected = i + 1;
      await(() -> stored(tenantA) == expected);
      clock.advance(Duration.ofHours(1));
    }
    assertThat(records(tenantA, adminA, "?from=2026-12-01T01:00:00Z&to=2026-12-01T03:00:00Z"))
        .extracting(j -> j.getString("target")).containsExactly("www@1", "www@2");

    HttpResponse<Buffer> bad = get("/v1/tenants/" + tenantA + "/audit?from=yesterday", adminA);
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.getHeader("Content-Type")).startsWith("application/problem+json");
    assertThat(bad.bodyAsString()).contains("from");
    assertThat(get("/v1/tenants/" + tenantA + "/audit?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z", adminA)
        .statusCode()).isEqualTo(400);
  }

  @Test
  void aViewerOrAnotherTenantCannotReadTheTrail() throws Exception {
    trail.record(caller(tenantA, "alice"), tenantA, "site.put", "www", AuditTrail.SUCCESS);
    await(() -> stored(tenantA) == 1);
    String viewerA = TestCredentials.apiKey(store, tenantA, TenantRole.VIEWER);
    String adminB = TestCredentials.apiKey(store, tenantB, TenantRole.ADMIN);
    assertThat(get("/v1/tenants/" + tenantA + "/audit", viewerA).statusCode()).isEqualTo(403);
    assertThat(get("/v1/tenants/" + tenantA + "/audit", adminB).statusCode()).isEqualTo(404);
    assertThat(get("/v1/tenants/" + tenantA + "/audit/verify", adminB).statusCode()).isEqualTo(404);
  }

  @Test
  void retentionCutsOldRecordsAndTheChainStillVerifiesFromItsCheckpoint() throws Exception {
    AuditService service = new AuditService(vertx, store.audit(), clock,
        new LoggingSettings(Duration.ofDays(30), Duration.ofDays(30), Duration.ofHours(1), 3));
    for (int day = 0; day < 40; day++) {
      trail.record(caller(tenantA, "alice"), tenantA, "site.put", "day" + day, AuditTrail.SUCCESS);
      int expected = day + 1;
      await(() -> stored(tenantA) == expected);
      clock.advance(Duration.ofDays(1));
    }
    // now is day 40: records of days 0..9 are older than 30 days
    assertThat(Await.result(service.sweep())).isEqualTo(10);
    List<AuditRecord> kept = Await.result(store.audit().records(tenantA, null, null, 100));
    assertThat(kept).hasSize(30);
    assertThat(kept.get(0).target()).isEqualTo("day10");
    JsonObject verify = get("/v1/tenants/" + tenantA + "/audit/verify", adminA).bodyAsJsonObject();
    assertThat(verify.getBoolean("ok")).as(verify.encode()).isTrue();
    assertThat(verify.getLong("records")).isEqualTo(30);
  }

  @Test
  void twoLoggingInstancesAppendingAtOnceNeverForkAChain() throws Exception {
    AuditService other = new AuditService(vertx, store.audit(), clock, LoggingSettings.defaults());
    for (int i = 0; i < 40; i++) {
      trail.record(caller(tenantA, "alice"), tenantA, "site.put", "bus" + i, AuditTrail.SUCCESS);
      other.intake(new dev.kasoku.common.bus.Messages.AuditEvent(clock.instant(), "user:bob", tenantA, "purge.accept",
          "direct" + i, "192.0.2.8", "accepted", null));
    }
    await(() -> stored(tenantA) == 80);
    JsonObject verify = get("/v1/tenants/" + tenantA + "/audit/verify", adminA).bodyAsJsonObject();
    assertThat(verify.getBoolean("ok")).as(verify.encode()).isTrue();
    assertThat(verify.getLong("records")).isEqualTo(80);
  }

  @Test
  void erasingATenantErasesItsChain() throws Exception {
    trail.record(caller(tenantA, "alice"), tenantA, "site.put", "www", AuditTrail.SUCCESS);
    await(() -> stored(tenantA) == 1);
    Await.result(store.eraseTenant(tenantA));
    assertThat(Await.result(store.audit().records(tenantA, null, null, 10))).isEmpty();
    assertThat(Await.result(store.audit().chains())).doesNotContain(tenantA);
  }
}
