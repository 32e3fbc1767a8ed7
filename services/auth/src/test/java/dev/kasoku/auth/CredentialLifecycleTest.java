package dev.kasoku.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.auth.testing.AuthNode;
import dev.kasoku.auth.testing.AuthSuite;
import dev.kasoku.auth.testing.Http;
import dev.kasoku.common.model.ApiKey;
import dev.kasoku.common.testing.Await;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Login tokens and API keys over their life: issued, used, revoked (logout, password change, user
 * deletion, key deletion) — each revocation effective on the very next request; roles applied from
 * the current user record; API keys shown once and stored only hashed. No audit consumer is deployed
 * here: every mutation still succeeds (audit events are fire-and-forget).
 */
public abstract class CredentialLifecycleTest extends AuthSuite {
  private AuthNode.TenantAdmin tenant;

  @BeforeAll
  void setUpTenant() {
    tenant = node.createTenant("Credentials");
  }

  private String users() {
    return "/v1/tenants/" + tenant.id() + "/users";
  }

  private String newUser(String role) {
    String name = unique(role);
    node.createUser(tenant.id(), tenant.adminKey(), name, PASSWORD, role);
    return name;
  }

  @Test
  void logoutRevokesTheTokenOnTheNextRequest() {
    String user = newUser("admin");
    String token = node.token(tenant.id(), user, PASSWORD);
    assertThat(http.get(users(), token).status()).isEqualTo(200);
    assertThat(http.post("/v1/auth/logout", token, null).status()).isEqualTo(204);
    Http.Resp after = http.get(users(), token);
    assertThat(after.status()).isEqualTo(401);
    assertThat(after.headers().get("WWW-Authenticate")).startsWith("Bearer");
    assertThat(http.post("/v1/auth/logout", token, null).status()).isEqualTo(401);
    // a new login works
    assertThat(http.get(users(), node.token(tenant.id(), user, PASSWORD)).status()).isEqualTo(200);
  }

  @Test
  void aPasswordChangeRevokesTokensIssuedBefore() {
    String user = newUser("admin");
    String token = node.token(tenant.id(), user, PASSWORD);
    String newPassword = "another-Long-passphrase-9";
    assertThat(http.patch(users() + "/" + user, tenant.adminKey(), new JsonObject().put("password", newPassword))
        .status()).isEqualTo(200);
    assertThat(http.get(users(), token).status()).isEqualTo(401);
    assertThat(node.login(tenant.id(), user, PASSWORD).status()).isEqualTo(401);
    assertThat(http.get(users(), node.token(tenant.id(), user, newPassword)).status()).isEqualTo(200);
  }

  @Test
  void deletingAUserRevokesItsTokensAndARecreatedNamesakeDoesNotInheritThem() {
    String user = newUser("viewer");
    String token = node.token(tenant.id(), user, PASSWORD);
    assertThat(http.get("/v1/tenants/" + tenant.id() + "/sites", token).status()).isEqualTo(501);
    assertThat(http.delete(users() + "/" + user, tenant.adminKey()).status()).isEqualTo(204);
    assertThat(http.get("/v1/tenants/" + tenant.id() + "/sites", token).status()).isEqualTo(401);
    node.createUser(tenant.id(), tenant.adminKey(), user, PASSWORD, "viewer");
    assertThat(http.get("/v1/tenants/" + tenant.id() + "/sites", token).status())
        .as("the old token of a deleted user never matches a new user of the same name").isEqualTo(401);
  }

  @Test
  void aRoleChangeAppliesToExistingTokensAtOnce() {
    newUser("admin"); // so that demoting the user below never leaves the tenant without an admin
    String user = newUser("editor");
    String token = node.token(tenant.id(), user, PASSWORD);
    assertThat(http.get(users(), token).status()).isEqualTo(403);
    assertThat(http.patch(users() + "/" + user, tenant.adminKey(), new JsonObject().put("role", "admin")).status())
        .isEqualTo(200);
    assertThat(http.get(users(), token).status()).isEqualTo(200);
    assertThat(http.patch(users() + "/" + user, tenant.adminKey(), new JsonObject().put("role", "viewer")).status())
        .isEqualTo(200);
    assertThat(http.get(users(), token).status()).isEqualTo(403);
  }

  @Test
  void anApiKeyIsShownOnceStoredOnlyAsAHashAndListedWithoutSecrets() {
    Http.Resp created = http.post("/v1/tenants/" + tenant.id() + "/api-keys", tenant.adminKey(),
        new JsonObject().put("name", "deploy pipeline").put("role", "purger"));
    assertThat(created.status()).isEqualTo(201);
    assertThat(created.headers().get("Cache-Control")).isEqualTo("no-store");
    String key = created.json().getString("key");
    String id = created.json().getString("id");
    assertThat(key).matches("ksk_[a-z0-9]{16}_[0-9a-f]{64}").startsWith("ksk_" + id + "_");
    assertThat(created.json().getString("prefix")).isEqualTo("ksk_" + id);
    String secret = key.substring(key.lastIndexOf('_') + 1);

    Optional<ApiKey> stored = Await.result(store.apiKeys().find(id));
    assertThat(stored).isPresent();
    assertThat(stored.get().secretHash()).startsWith("sha256:").doesNotContain(secret);

    Http.Resp list = http.get("/v1/tenants/" + tenant.id() + "/api-keys", tenant.adminKey());
    assertThat(list.status()).isEqualTo(200);
    assertThat(list.text()).doesNotContain(secret).doesNotContain("sha256");
    JsonArray keys = list.json().getJsonArray("apiKeys");
    JsonObject listed = keys.stream().map(JsonObject.class::cast).filter(k -> id.equals(k.getString("id")))
        .findFirst().orElseThrow();
    assertThat(listed.fieldNames()).containsExactlyInAnyOrder("id", "name", "role", "prefix", "createdAt");
    assertThat(listed.getString("role")).isEqualTo("purger");
  }

  @Test
  void anApiKeyActsWithItsRoleAndADeletedKeyIsRefusedOnTheNextRequest() {
    String purger = node.apiKey(tenant.id(), tenant.adminKey(), "purger");
    String id = purger.substring(4, 20);
    String base = "/v1/tenants/" + tenant.id();
    assertThat(http.post(base + "/purge", purger, new JsonObject().put("all", true)).status()).as("purge passes the gate").isEqualTo(501);
    assertThat(http.get(base + "/sites", purger).status()).as("a purger cannot read config").isEqualTo(403);
    assertThat(http.get(base + "/users", purger).status()).isEqualTo(403);

    assertThat(http.delete(base + "/api-keys/" + id, tenant.adminKey()).status()).isEqualTo(204);
    assertThat(http.post(base + "/purge", purger, new JsonObject()).status()).isEqualTo(401);
    assertThat(http.delete(base + "/api-keys/" + id, tenant.adminKey()).status()).isEqualTo(404);
  }

  @Test
  void aKeyWithAWrongSecretOrAMangledFormIsRefused() {
    String key = node.apiKey(tenant.id(), tenant.adminKey(), "viewer");
    String sites = "/v1/tenants/" + tenant.id() + "/sites";
    String wrongSecret = key.substring(0, key.length() - 1) + (key.endsWith("0") ? "1" : "0");
    assertThat(http.get(sites, key).status()).isEqualTo(501);
    assertThat(http.get(sites, wrongSecret).status()).isEqualTo(401);
    assertThat(http.get(sites, key.substring(0, key.length() - 2)).status()).isEqualTo(401);
    assertThat(http.get(sites, key.toUpperCase()).status()).isEqualTo(401);
  }

  @Test
  void theOperatorCredentialCreatesTenantsButReadsNoTenantData() {
    String base = "/v1/tenants/" + tenant.id();
    for (String path : new String[] {"/users", "/api-keys", "/ip-allowlist", "/sites", "/logs", "/stats",
        "/notifications", "/audit", "/log-sinks"}) {
      assertThat(http.get(base + path, AuthNode.OPERATOR).status()).as(path).isEqualTo(403);
    }
    assertThat(http.get(base + "/users", AuthNode.OPERATOR + "x").status()).isEqualTo(401);
  }

  @Test
  void aBearerHeaderMustBeWellFormed() {
    String sites = "/v1/tenants/" + tenant.id() + "/sites";
    io.vertx.core.MultiMap basic = io.vertx.core.MultiMap.caseInsensitiveMultiMap()
        .add("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString("a:b".getBytes()));
    assertThat(http.send(io.vertx.core.http.HttpMethod.GET, sites, null, null, basic).status()).isEqualTo(401);
    io.vertx.core.MultiMap two = io.vertx.core.MultiMap.caseInsensitiveMultiMap()
        .add("Authorization", "Bearer " + tenant.adminKey()).add("Authorization", "Bearer " + tenant.adminKey());
    assertThat(http.send(io.vertx.core.http.HttpMethod.GET, sites, null, null, two).status()).isEqualTo(401);
    assertThat(http.get(sites, "x".repeat(5000)).status()).isEqualTo(401);
  }
}
