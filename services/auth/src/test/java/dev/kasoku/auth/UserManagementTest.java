package dev.kasoku.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.auth.testing.AuthNode;
import dev.kasoku.auth.testing.AuthSuite;
import dev.kasoku.auth.testing.Http;
import dev.kasoku.common.model.User;
import dev.kasoku.common.testing.Await;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** A tenant admin manages users: CRUD, case-insensitive names, password policy, last-admin rule. */
public abstract class UserManagementTest extends AuthSuite {

  private static JsonObject user(String name, String password, String role) {
    return new JsonObject().put("username", name).put("password", password).put("role", role);
  }

  @Test
  void anAdminCreatesListsReadsUpdatesAndDeletesUsers() {
    AuthNode.TenantAdmin t = node.createTenant("Users");
    String base = "/v1/tenants/" + t.id() + "/users";
    Http.Resp created = http.post(base, t.adminKey(), user("bob", PASSWORD, "editor"));
    assertThat(created.status()).isEqualTo(201);
    assertThat(created.json().fieldNames()).containsExactlyInAnyOrder("username", "role", "createdAt", "updatedAt");
    assertThat(created.json().getString("createdAt")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
    assertThat(http.post(base, t.adminKey(), user("bob", PASSWORD, "viewer")).status()).isEqualTo(409);

    JsonArray list = http.get(base, t.adminKey()).json().getJsonArray("users");
    assertThat(list.stream().map(o -> ((JsonObject) o).getString("username"))).contains("bob");
    assertThat(http.get(base, t.adminKey()).text()).doesNotContain("argon2").doesNotContain("password");
    assertThat(http.get(base + "/bob", t.adminKey()).json().getString("role")).isEqualTo("editor");

    assertThat(http.patch(base + "/bob", t.adminKey(), new JsonObject().put("role", "purger")).json()
        .getString("role")).isEqualTo("purger");
    assertThat(http.delete(base + "/bob", t.adminKey()).status()).isEqualTo(204);
    assertThat(http.get(base + "/bob", t.adminKey()).status()).isEqualTo(404);
    assertThat(http.delete(base + "/bob", t.adminKey()).status()).isEqualTo(404);
    assertThat(http.patch(base + "/bob", t.adminKey(), new JsonObject().put("role", "viewer")).status()).isEqualTo(404);
  }

  @Test
  void usernamesAreCaseInsensitive() {
    AuthNode.TenantAdmin t = node.createTenant("Case");
    String base = "/v1/tenants/" + t.id() + "/users";
    assertThat(http.post(base, t.adminKey(), user("Alice.Smith@example.com", PASSWORD, "viewer")).json()
        .getString("username")).isEqualTo("alice.smith@example.com");
    assertThat(http.post(base, t.adminKey(), user("ALICE.SMITH@example.com", PASSWORD, "viewer")).status()).isEqualTo(409);
    assertThat(http.get(base + "/Alice.Smith@Example.com", t.adminKey()).status()).isEqualTo(200);
    assertThat(node.login(t.id(), "ALICE.smith@example.com", PASSWORD).status()).isEqualTo(200);
  }

  @Test
  void weakPasswordsAreRefusedWithEveryReason() {
    AuthNode.TenantAdmin t = node.createTenant("Policy");
    String base = "/v1/tenants/" + t.id() + "/users";
    assertThat(http.post(base, t.adminKey(), user("carol", "short-1A", "viewer")).status())
        .as("under 12 characters: the contract refuses it").isEqualTo(400);
    for (String weak : new String[] {"Password2024!", "P@ssw0rd123456", "qwertyuiopasdf", "iloveyou1234", "carol-is-great-2024",
        "aaaaaaaaaaaa1", "123456789012"}) {
      Http.Resp r = http.post(base, t.adminKey(), user("carol", weak, "viewer"));
      assertThat(r.status()).as(weak).isEqualTo(400);
      assertThat(r.headers().get("Content-Type")).startsWith("application/problem+json");
      assertThat(r.json().getJsonArray("errors")).as(weak).isNotEmpty();
    }
    assertThat(http.post(base, t.adminKey(), user("carol", "tulip-Harbour-91-kettle", "viewer")).status()).isEqualTo(201);
    assertThat(http.patch(base + "/carol", t.adminKey(), new JsonObject().put("password", "Password2024!")).status())
        .as("the same policy on a password change").isEqualTo(400);
  }

  @Test
  void theLastAdminCanBeNeitherDeletedNorDemoted() {
    AuthNode.TenantAdmin t = node.createTenant("Admins");
    String base = "/v1/tenants/" + t.id() + "/users";
    node.createUser(t.id(), t.adminKey(), "first", PASSWORD, "admin");
    assertThat(http.delete(base + "/first", t.adminKey()).status()).isEqualTo(409);
    Http.Resp demote = http.patch(base + "/first", t.adminKey(), new JsonObject().put("role", "viewer"));
    assertThat(demote.status()).isEqualTo(409);
    assertThat(demote.json().getString("type")).endsWith("/conflict");
    node.createUser(t.id(), t.adminKey(), "second", PASSWORD, "admin");
    assertThat(http.patch(base + "/first", t.adminKey(), new JsonObject().put("role", "viewer")).status()).isEqualTo(200);
    assertThat(http.delete(base + "/second", t.adminKey()).status()).isEqualTo(409);
    assertThat(http.get(base + "/second", t.adminKey()).json().getString("role")).isEqualTo("admin");
  }

  @Test
  void passwordsAreStoredAsArgon2idWithTheirParameters() {
    AuthNode.TenantAdmin t = node.createTenant("Hashes");
    node.createUser(t.id(), t.adminKey(), "dave", PASSWORD, "viewer");
    User stored = Await.result(store.tenants().getUser(t.id(), "dave")).orElseThrow();
    assertThat(stored.passwordHash()).startsWith("$argon2id$v=19$m=1024,t=1,p=1$").doesNotContain(PASSWORD);
  }
}
