package dev.kasoku.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages;
import dev.kasoku.common.model.SiteVersion;
import dev.kasoku.common.model.TenantRole;
import dev.kasoku.common.store.Store;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.TempStores;
import dev.kasoku.common.tls.SelfSignedCertificates;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The site endpoints against a real store, through the real router and access gate. Subclassed
 * once per store implementation (the hostname claims and versions are the store's atomic work).
 */
public abstract class SiteApiContractTest {
  protected Vertx vertx;
  protected Store store;
  protected Path dataDir;
  protected ConfigApiFixture api;
  protected String tenant;
  protected String editor;
  protected final List<Messages.ConfigChanged> changes = new CopyOnWriteArrayList<>();
  protected final List<Messages.AuditEvent> audits = new CopyOnWriteArrayList<>();

  /** Opens the store under test (called on the test thread). */
  protected abstract Store openStore(Vertx vertx, Path dataDir);

  /** A tenant id no other test (or test run sharing the store) uses. */
  protected String newTenant() {
    return "t" + Long.toString(System.nanoTime(), 36);
  }

  /** A hostname no other test uses. */
  protected static String host(String label) {
    return label + "-" + Long.toString(System.nanoTime(), 36) + ".example.com";
  }

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    dataDir = TempStores.newDirectory();
    store = openStore(vertx, dataDir);
    api = ConfigApiFixture.start(vertx, store, ConfigApiFixture.config(dataDir, Map.of()), Clock.systemUTC());
    vertx.eventBus().<Messages.ConfigChanged>consumer(Addresses.CONFIG_CHANGED.address(), m -> changes.add(m.body()));
    vertx.eventBus().<Messages.AuditEvent>consumer(Addresses.AUDIT.address(), m -> audits.add(m.body()));
    tenant = newTenant();
    editor = api.tenantKey(tenant, TenantRole.EDITOR);
  }

  @AfterEach
  void stop() {
    api.close();
    Await.result(store.eraseTenant(tenant));
    Await.result(store.close());
    Await.result(vertx.close());
    TempStores.deleteRecursively(dataDir);
  }

  static JsonObject site(String... hostnames) {
    return new JsonObject()
        .put("hostnames", new JsonArray(List.of((Object[]) hostnames)))
        .put("origins", new JsonArray().add(new JsonObject().put("url", "https://origin.example.net")))
        .put("defaultTtl", "60s");
  }

  static List<String> errors(HttpResponse<Buffer> r) {
    JsonArray e = r.bodyAsJsonObject().getJsonArray("errors");
    return e == null ? List.of() : e.stream().map(Object::toString).toList();
  }

  // ---- store, get, versions, restore

  @Test
  void putStoresVersionOneWithAuthorAndTimeAndGetReturnsIt() {
    String h = host("www");
    HttpResponse<Buffer> put = api.put(tenant, "shop", editor, site(h).put("staleIfError", "1d"));
    assertThat(put.statusCode()).as(put.bodyAsString()).isEqualTo(200);
    JsonObject v = put.bodyAsJsonObject();
    assertThat(v.getLong("version")).isEqualTo(1);
    assertThat(v.getString("author")).startsWith("api-key:");
    assertThat(Instant.parse(v.getString("createdAt"))).isCloseTo(Instant.now(), org.assertj.core.api.Assertions.within(
        Duration.ofSeconds(30).toMillis(), java.time.temporal.ChronoUnit.MILLIS));
    assertThat(v.getString("createdAt")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
    assertThat(v.getJsonObject("config").getString("staleIfError")).isEqualTo("1d");

    HttpResponse<Buffer> get = api.get("/v1/tenants/" + tenant + "/sites/shop", editor);
    assertThat(get.statusCode()).isEqualTo(200);
    assertThat(get.bodyAsJsonObject()).isEqualTo(v);
    HttpResponse<Buffer> list = api.get("/v1/tenants/" + tenant + "/sites", editor);
    assertThat(list.bodyAsJsonObject().getJsonArray("items")).hasSize(1);
  }

  @Test
  void versionsAreKeptAndRestoreMakesAnOldVersionCurrentAsANewVersion() {
    String h = host("v");
    api.put(tenant, "s", editor, site(h).put("defaultTtl", "1m"));
    api.put(tenant, "s", editor, site(h).put("defaultTtl", "2m"));
    api.put(tenant, "s", editor, site(h).put("defaultTtl", "3m"));

    HttpResponse<Buffer> versions = api.get("/v1/tenants/" + tenant + "/sites/s/versions", editor);
    assertThat(versions.statusCode()).isEqualTo(200);
    JsonArray items = versions.bodyAsJsonObject().getJsonArray("items");
    assertThat(items.stream().map(o -> ((JsonObject) o).getLong("version")).toList()).containsExactly(1L, 2L, 3L);
    assertThat(versions.bodyAsJsonObject().getLong("current")).isEqualTo(3);

    HttpResponse<Buffer> restored = api.post("/v1/tenants/" + tenant + "/sites/s/versions/1/restore", editor);
    assertThat(restored.statusCode()).as(restored.bodyAsString()).isEqualTo(200);
    assertThat(restored.bodyAsJsonObject().getLong("version")).isEqualTo(4);
    assertThat(restored.bodyAsJsonObject().getJsonObject("config").getString("defaultTtl")).isEqualTo("1m");
    assertThat(api.get("/v1/tenants/" + tenant + "/sites/s", editor).bodyAsJsonObject().getLong("version")).isEqualTo(4);

    assertThat(api.post("/v1/tenants/" + tenant + "/sites/s/versions/9/restore", editor).statusCode()).isEqualTo(404);
    assertThat(api.get("/v1/tenants/" + tenant + "/sites/nosuch/versions", editor).statusCode()).isEqualTo(404);
    assertThat(api.get("/v1/tenants/" + tenant + "/sites/nosuch", editor).statusCode()).isEqualTo(404);
  }

  @Test
  void restoreRechecksTheOldVersionAgainstHostnamesClaimedSince() {
    String a = host("a");
    String b = host("b");
    api.put(tenant, "s", editor, site(a));
    api.put(tenant, "s", editor, site(b));
    String other = newTenant();
    String otherKey = api.tenantKey(other, TenantRole.EDITOR);
    try {
      assertThat(api.put(other, "x", otherKey, site(a)).statusCode()).isEqualTo(200);
      HttpResponse<Buffer> r = api.post("/v1/tenants/" + tenant + "/sites/s/versions/1/restore", editor);
      assertThat(r.statusCode()).isEqualTo(409);
    } finally {
      Await.result(store.eraseTenant(other));
    }
  }

  // ---- hostnames

  @Test
  void hostnamesAreNormalisedBeforeTheyAreStoredAndCompared() {
    String label = "n" + Long.toString(System.nanoTime(), 36);
    HttpResponse<Buffer> r = api.put(tenant, "s", editor,
        site(label.toUpperCase() + ".Example.COM.", "bücher-" + label + ".example", "Intra-" + label.toUpperCase()));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    assertThat(r.bodyAsJsonObject().getJsonArray("hostnames").getList())
        .containsExactly(label + ".example.com", "xn--bcher-" + punySuffix(label) + ".example", "intra-" + label);

    String other = newTenant();
    String otherKey = api.tenantKey(other, TenantRole.EDITOR);
    try {
      HttpResponse<Buffer> clash = api.put(other, "s", otherKey, site(label + ".example.com"));
      assertThat(clash.statusCode()).isEqualTo(409);
      assertThat(clash.bodyAsJsonObject().getString("type")).endsWith("/conflict");
      HttpResponse<Buffer> idnClash = api.put(other, "s", otherKey, site("BÜCHER-" + label + ".example."));
      assertThat(idnClash.statusCode()).isEqualTo(409);
      // the same tenant's other site cannot take it either: a hostname belongs to one site
      assertThat(api.put(tenant, "s2", editor, site("INTRA-" + label.toUpperCase())).statusCode()).isEqualTo(409);
    } finally {
      Await.result(store.eraseTenant(other));
    }
  }

  private static String punySuffix(String label) {
    String full = java.net.IDN.toASCII("bücher-" + label);
    return full.substring("xn--bcher-".length());
  }

  @Test
  void concurrentClaimsOfOneHostnameLetExactlyOneWin() {
    String other = newTenant();
    String otherKey = api.tenantKey(other, TenantRole.EDITOR);
    try {
      for (int round = 0; round < 10; round++) {
        String h = host("race" + round);
        Future<HttpResponse<Buffer>> a = api.call(HttpMethod.PUT, "/v1/tenants/" + tenant + "/sites/r" + round,
            editor, site(h));
        Future<HttpResponse<Buffer>> b = api.call(HttpMethod.PUT, "/v1/tenants/" + other + "/sites/r" + round,
            otherKey, site(h.toUpperCase()));
        Await.result(Future.join(a, b));
        List<Integer> statuses = List.of(a.result().statusCode(), b.result().statusCode());
        assertThat(statuses).as("round " + round).containsExactlyInAnyOrder(200, 409);
        SiteVersion winner = Await.result(store.sites().resolveHost(h)).map(bind ->
            Await.result(store.sites().current(bind.tenant(), bind.site())).orElseThrow()).orElseThrow();
        assertThat(winner.tenant()).isEqualTo(statuses.get(0) == 200 ? tenant : other);
      }
    } finally {
      Await.result(store.eraseTenant(other));
    }
  }

  @Test
  void deletingASiteReleasesItsHostnamesAndTellsEdges() {
    String h = host("del");
    api.put(tenant, "s", editor, site(h));
    HttpResponse<Buffer> del = api.delete("/v1/tenants/" + tenant + "/sites/s", editor);
    assertThat(del.statusCode()).isEqualTo(204);
    assertThat(api.get("/v1/tenants/" + tenant + "/sites/s", editor).statusCode()).isEqualTo(404);
    assertThat(api.delete("/v1/tenants/" + tenant + "/sites/s", editor).statusCode()).isEqualTo(404);
    assertThat(Await.result(store.sites().resolveHost(h))).isEmpty();
    assertThat(api.put(tenant, "t", editor, site(h)).statusCode()).isEqualTo(200);
    awaitUntil(() -> changes.contains(new Messages.ConfigChanged(tenant, "s", 0)));
  }

  // ---- live apply, feed, audit

  @Test
  void everyChangeIsPublishedToEdgesAnnouncedInTheFeedAndAudited() {
    String h = host("feed");
    api.put(tenant, "s", editor, site(h));
    api.put(tenant, "s", editor, site(h).put("defaultTtl", "5m"));
    api.post("/v1/tenants/" + tenant + "/sites/s/versions/1/restore", editor);
    api.delete("/v1/tenants/" + tenant + "/sites/s", editor);

    awaitUntil(() -> changes.size() >= 4 && audits.size() >= 4);
    assertThat(changes).containsExactly(new Messages.ConfigChanged(tenant, "s", 1),
        new Messages.ConfigChanged(tenant, "s", 2), new Messages.ConfigChanged(tenant, "s", 3),
        new Messages.ConfigChanged(tenant, "s", 0));
    assertThat(audits).extracting(Messages.AuditEvent::action)
        .containsExactly("site.put", "site.put", "site.restore", "site.delete");
    assertThat(audits).allSatisfy(a -> {
      assertThat(a.tenant()).isEqualTo(tenant);
      assertThat(a.actor()).startsWith("api-key:");
      assertThat(a.outcome()).isEqualTo("success");
      assertThat(a.sourceIp()).isEqualTo("127.0.0.1");
    });

    HttpResponse<Buffer> feed = api.get("/v1/tenants/" + tenant + "/notifications", editor);
    assertThat(feed.statusCode()).isEqualTo(200);
    List<String> messages = feed.bodyAsJsonObject().getJsonArray("items").stream()
        .map(o -> ((JsonObject) o).getString("message")).toList();
    assertThat(messages).hasSize(4);
    assertThat(messages.get(0)).contains("site s deleted");
    assertThat(messages.get(1)).contains("restored from version 1 as version 3");
    assertThat(messages.get(3)).contains("version 1");
  }

  @Test
  void refusedChangesAreAuditedAndNotPublished() {
    api.put(tenant, "s", editor, site(host("x")).put("defaultTtl", "soon"));
    awaitUntil(() -> !audits.isEmpty());
    assertThat(audits.get(0).outcome()).startsWith("rejected");
    assertThat(changes).isEmpty();
  }

  @Test
  void tenantDeletionErasesItsSitesAndReleasesItsHostnames() {
    String h = host("gone");
    api.put(tenant, "a", editor, site(h));
    api.put(tenant, "b", editor, site(host("gone2")));
    Addresses.TENANT_DELETED.publish(vertx.eventBus(), new Messages.TenantDeleted(tenant));
    awaitUntil(() -> changes.contains(new Messages.ConfigChanged(tenant, "a", 0))
        && changes.contains(new Messages.ConfigChanged(tenant, "b", 0)));
    assertThat(Await.result(store.sites().listCurrent(tenant))).isEmpty();
    assertThat(Await.result(store.sites().resolveHost(h))).isEmpty();
    assertThat(Await.result(store.sites().versions(tenant, "a"))).isEmpty();
  }

  // ---- access

  @Test
  void viewersReadButOnlyEditorsChangeAndOtherTenantsSeeNothing() {
    api.put(tenant, "s", editor, site(host("acl")));
    String viewer = api.key(tenant, TenantRole.VIEWER);
    assertThat(api.get("/v1/tenants/" + tenant + "/sites/s", viewer).statusCode()).isEqualTo(200);
    assertThat(api.put(tenant, "s", viewer, site(host("acl2"))).statusCode()).isEqualTo(403);
    assertThat(api.delete("/v1/tenants/" + tenant + "/sites/s", viewer).statusCode()).isEqualTo(403);
    String purger = api.key(tenant, TenantRole.PURGER);
    assertThat(api.get("/v1/tenants/" + tenant + "/sites/s", purger).statusCode()).isEqualTo(403);
    String other = newTenant();
    String otherKey = api.tenantKey(other, TenantRole.ADMIN);
    try {
      assertThat(api.get("/v1/tenants/" + tenant + "/sites/s", otherKey).statusCode()).isEqualTo(404);
      assertThat(api.get("/v1/tenants/" + tenant + "/sites/s", null).statusCode()).isEqualTo(401);
    } finally {
      Await.result(store.eraseTenant(other));
    }
  }

  // ---- TLS material

  @Test
  void privateKeyIsStoredEncryptedAndNeverReturned() {
    String h = host("tls");
    SelfSignedCertificates.Generated cert = SelfSignedCertificates.generate(List.of(h),
        Instant.now().minus(Duration.ofHours(1)), Instant.now().plus(Duration.ofDays(30)));
    String keyBody = cert.privateKeyPem().lines().filter(l -> !l.startsWith("-----")).findFirst().orElseThrow();
    JsonObject doc = site(h).put("tls", new JsonObject()
        .put("certificatePem", cert.certificatePem()).put("privateKeyPem", cert.privateKeyPem()));

    HttpResponse<Buffer> put = api.put(tenant, "s", editor, doc);
    assertThat(put.statusCode()).as(put.bodyAsString()).isEqualTo(200);
    JsonObject tls = put.bodyAsJsonObject().getJsonObject("config").getJsonObject("tls");
    assertThat(tls.getString("subject")).isEqualTo("CN=" + h);
    assertThat(tls.getJsonArray("subjectAltNames").getList()).containsExactly(h);
    assertThat(Instant.parse(tls.getString("notAfter"))).isEqualTo(cert.certificate().getNotAfter().toInstant());
    assertThat(tls.containsKey("privateKeyPem")).isFalse();

    for (String path : List.of("/sites/s", "/sites", "/sites/s/versions")) {
      String body = api.get("/v1/tenants/" + tenant + path, editor).bodyAsString();
      assertThat(body).doesNotContain("PRIVATE KEY").doesNotContain(keyBody).doesNotContain("v1:");
    }
    assertThat(put.bodyAsString()).doesNotContain("PRIVATE KEY").doesNotContain(keyBody);
    String stored = Await.result(store.sites().current(tenant, "s")).orElseThrow().configJson();
    assertThat(stored).doesNotContain("PRIVATE KEY").doesNotContain(keyBody).contains("\"privateKeyPem\":\"v1:");
    String restored = api.post("/v1/tenants/" + tenant + "/sites/s/versions/1/restore", editor).bodyAsString();
    assertThat(restored).contains("\"version\":2").doesNotContain("PRIVATE KEY");
  }

  // ---- helpers

  protected static void awaitUntil(java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 10 s");
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}
