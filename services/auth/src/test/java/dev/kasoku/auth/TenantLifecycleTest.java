package dev.kasoku.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.auth.testing.AuditCollector;
import dev.kasoku.auth.testing.AuthNode;
import dev.kasoku.auth.testing.AuthSuite;
import dev.kasoku.auth.testing.Http;
import dev.kasoku.common.testing.Await;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tenants from creation to erasure (CONTROLS CLD.8.1.5), and isolation: another tenant's admin can
 * neither see nor change anything of a tenant.
 */
public abstract class TenantLifecycleTest extends AuthSuite {
  private AuditCollector audit;

  @Override
  protected java.util.Map<String, String> env() {
    return java.util.Map.of("KASOKU_REGION", "eu-test-1");
  }

  @BeforeAll
  void collectAudit() {
    audit = new AuditCollector(vertx);
  }

  @AfterAll
  void closeAudit() {
    audit.close();
  }

  @Test
  void everyUserOfTheTenantSeesItsPlanAndWhereItsDataIsKeptAndNoOtherTenantDoes() {
    AuthNode.TenantAdmin t = node.createTenant("Account");
    node.createUser(t.id(), t.adminKey(), "viewer", PASSWORD, "viewer");
    String viewer = node.token(t.id(), "viewer", PASSWORD);
    Http.Resp r = http.get("/v1/tenants/" + t.id() + "/account", viewer);
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    assertThat(r.json().getString("id")).isEqualTo(t.id());
    assertThat(r.json().getString("name")).isEqualTo("Account");
    assertThat(r.json().getString("plan")).isEqualTo("standard");
    assertThat(r.json().getJsonArray("features")).isEmpty();
    JsonObject where = r.json().getJsonObject("dataLocation");
    assertThat(where.getString("region")).isEqualTo("eu-test-1");
    assertThat(where.getString("store")).isEqualTo(node.config.redisUrl().isPresent() ? "redis" : "embedded");
    assertThat(where.getJsonArray("kinds").stream().map(k -> ((JsonObject) k).getString("data")))
        .contains("config", "accessLogs", "cachedObjects");
    assertThat(r.text()).as("no internal address").doesNotContain("redis://").doesNotContain("/store/");
    AuthNode.TenantAdmin other = node.createTenant("Other");
    Http.Resp hidden = http.get("/v1/tenants/" + t.id() + "/account", other.adminKey());
    assertThat(hidden.status()).isEqualTo(404);
    assertThat(http.get("/v1/tenants/" + t.id() + "/account", AuthNode.OPERATOR).status())
        .as("staff do not read a tenant's account through the tenant API").isEqualTo(403);
  }

  @Test
  void creatingATenantReturnsItsIdAndAFirstAdminKeyShownOnce() {
    Http.Resp r = http.post("/v1/tenants", AuthNode.OPERATOR, new JsonObject().put("name", "Acme Corp, Inc."));
    assertThat(r.status()).isEqualTo(201);
    String id = r.json().getString("id");
    assertThat(id).matches("acme-corp-inc-[a-z0-9]{6}");
    assertThat(r.json().getString("name")).isEqualTo("Acme Corp, Inc.");
    String key = r.json().getString("adminApiKey");
    assertThat(http.get("/v1/tenants/" + id + "/users", key).status()).isEqualTo(200);
    Http.Resp keys = http.get("/v1/tenants/" + id + "/api-keys", key);
    assertThat(keys.text()).doesNotContain(key.substring(21));
    assertThat(keys.json().getJsonArray("apiKeys").getJsonObject(0).getString("role")).isEqualTo("admin");
    assertThat(audit.await(e -> "tenant.create".equals(e.action()) && id.equals(e.tenant())).actor()).isEqualTo("operator");
  }

  @Test
  void aChosenTenantIdIsUnique() {
    String id = unique("chosen");
    assertThat(http.post("/v1/tenants", AuthNode.OPERATOR, new JsonObject().put("name", "A").put("id", id)).status())
        .isEqualTo(201);
    assertThat(http.post("/v1/tenants", AuthNode.OPERATOR, new JsonObject().put("name", "B").put("id", id)).status())
        .isEqualTo(409);
    assertThat(http.post("/v1/tenants", AuthNode.OPERATOR, new JsonObject().put("name", "C").put("id", "Bad:Id")).status())
        .isEqualTo(400);
  }

  @Test
  void deletingATenantErasesItsUsersKeysAllowListAndSessionsAtOnce() {
    AuthNode.TenantAdmin t = node.createTenant("Doomed Inc");
    String base = "/v1/tenants/" + t.id();
    node.createUser(t.id(), t.adminKey(), "gina", PASSWORD, "admin");
    String token = node.token(t.id(), "gina", PASSWORD);
    String loggedOut = node.token(t.id(), "gina", PASSWORD);
    assertThat(http.post("/v1/auth/logout", loggedOut, null).status()).isEqualTo(204);
    node.apiKey(t.id(), t.adminKey(), "editor");
    assertThat(node.login(t.id(), "gina", "a-wrong-password").status()).isEqualTo(401);
    assertThat(http.put(base + "/ip-allowlist", t.adminKey(), new JsonObject().put("cidrs", new JsonArray().add("127.0.0.1")))
        .status()).isEqualTo(200);
    if (backend.tenantKeys(store, t.id()) != null) {
      assertThat(backend.tenantKeys(store, t.id())).isNotEmpty();
    }

    Http.Resp deleted = http.delete(base, AuthNode.OPERATOR);
    assertThat(deleted.status()).isEqualTo(202);
    assertThat(deleted.json().getString("status")).isEqualTo("erasing");

    // erasure runs on the bus after the 202: every credential stops working within a second
    awaitStatus(() -> http.get(base + "/users", t.adminKey()), 401);
    awaitStatus(() -> http.get(base + "/users", token), 401);
    awaitStatus(() -> node.login(t.id(), "gina", PASSWORD), 401);
    awaitStatus(() -> Await.result(store.tenants().getTenant(t.id())).isEmpty() ? new Http.Resp(404, null, null)
        : new Http.Resp(200, null, null), 404);
    assertThat(Await.result(store.tenants().listUsers(t.id()))).isEmpty();
    assertThat(Await.result(store.apiKeys().list(t.id()))).isEmpty();
    assertThat(Await.result(store.access().getAllowlist(t.id()))).isEmpty();
    List<String> left = backend.tenantKeys(store, t.id());
    if (left != null) {
      assertThat(left).as("every key under the tenant's prefix is gone").isEmpty();
    }
    assertThat(http.delete(base, AuthNode.OPERATOR).status()).isEqualTo(404);
    assertThat(audit.await(e -> "tenant.delete".equals(e.action()) && t.id().equals(e.tenant())).actor())
        .isEqualTo("operator");
  }

  @Test
  void anotherTenantsAdminSeesTheSameAsForATenantThatDoesNotExistAndChangesNothing() {
    AuthNode.TenantAdmin victim = node.createTenant("Victim");
    AuthNode.TenantAdmin attacker = node.createTenant("Attacker");
    node.createUser(victim.id(), victim.adminKey(), "henry", PASSWORD, "viewer");
    String victimKey = node.apiKey(victim.id(), victim.adminKey(), "viewer");
    String victimKeyId = victimKey.substring(4, 20);
    String base = "/v1/tenants/" + victim.id();
    String ghost = "/v1/tenants/" + unique("ghost");
    String before = snapshot(victim);

    List<Http.Resp> tries = List.of(
        http.get(base + "/users", attacker.adminKey()),
        http.post(base + "/users", attacker.adminKey(),
            new JsonObject().put("username", "mallory").put("password", PASSWORD).put("role", "admin")),
        http.patch(base + "/users/henry", attacker.adminKey(), new JsonObject().put("role", "admin")),
        http.delete(base + "/users/henry", attacker.adminKey()),
        http.post(base + "/api-keys", attacker.adminKey(), new JsonObject().put("name", "x").put("role", "admin")),
        http.delete(base + "/api-keys/" + victimKeyId, attacker.adminKey()),
        http.put(base + "/ip-allowlist", attacker.adminKey(), new JsonObject().put("cidrs", new JsonArray().add("127.0.0.1"))),
        http.get(base + "/sites", attacker.adminKey()));
    Http.Resp forGhost = http.get(ghost + "/users", attacker.adminKey());
    for (Http.Resp r : tries) {
      assertThat(r.status()).isEqualTo(404);
      JsonObject body = r.json().copy();
      JsonObject ghostBody = forGhost.json().copy();
      for (JsonObject b : List.of(body, ghostBody)) {
        b.remove("requestId");
        b.remove("instance");
      }
      assertThat(body).isEqualTo(ghostBody);
    }
    assertThat(http.delete(base, attacker.adminKey()).status()).isEqualTo(403);
    assertThat(snapshot(victim)).isEqualTo(before);
    // the refused changes are in the attacker's own audit trail, none in the victim's
    assertThat(audit.await(e -> "access.denied".equals(e.action()) && attacker.id().equals(e.tenant())
        && ("PATCH " + base + "/users/henry").equals(e.target())).outcome()).isEqualTo("failure:404");
    assertThat(audit.events()).noneMatch(e -> "access.denied".equals(e.action()) && victim.id().equals(e.tenant()));
    assertThat(http.get(base + "/sites", victimKey).status()).isEqualTo(501);
  }

  private String snapshot(AuthNode.TenantAdmin t) {
    String base = "/v1/tenants/" + t.id();
    return http.get(base + "/users", t.adminKey()).text() + http.get(base + "/api-keys", t.adminKey()).text()
        + http.get(base + "/ip-allowlist", t.adminKey()).text();
  }

  private static void awaitStatus(java.util.function.Supplier<Http.Resp> call, int status) {
    long deadline = System.currentTimeMillis() + 1000;
    int last;
    do {
      last = call.get().status();
      if (last == status) {
        return;
      }
    } while (System.currentTimeMillis() < deadline);
    throw new AssertionError("expected " + status + " within 1 s, last was " + last);
  }
}
