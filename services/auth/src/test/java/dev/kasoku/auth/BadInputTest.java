package dev.kasoku.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.auth.testing.AuthNode;
import dev.kasoku.auth.testing.AuthSuite;
import dev.kasoku.auth.testing.Http;
import dev.kasoku.auth.testing.StoreBackend;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Malformed, unknown-field, wrong-type and oversized requests get 400/413 problem+json, and change
 * nothing. Runs on the embedded store only: nothing here reaches the store.
 */
class BadInputTest extends AuthSuite {
  private AuthNode.TenantAdmin t;

  @Override
  protected StoreBackend backend() {
    return StoreBackend.embedded();
  }

  @BeforeAll
  void tenant() {
    t = node.createTenant("Bad input");
  }

  private Http.Resp raw(HttpMethod method, String path, String credential, String body, String contentType) {
    return http.send(method, path, credential, body == null ? null : Buffer.buffer(body),
        MultiMap.caseInsensitiveMultiMap().add("Content-Type", contentType));
  }

  private static void assertProblem(Http.Resp r, int status) {
    assertThat(r.status()).as(r.text()).isEqualTo(status);
    assertThat(r.headers().get("Content-Type")).startsWith("application/problem+json");
    JsonObject body = r.json();
    assertThat(body.getString("type")).startsWith("https://kasoku.dev/problems/");
    assertThat(body.getInteger("status")).isEqualTo(status);
    assertThat(body.getString("requestId")).isNotBlank();
  }

  @Test
  void malformedJsonIs400() {
    assertProblem(raw(HttpMethod.POST, "/v1/tenants/" + t.id() + "/users", t.adminKey(), "{\"username\": ", "application/json"), 400);
    assertProblem(raw(HttpMethod.POST, "/v1/auth/login", null, "not json at all", "application/json"), 400);
  }

  @Test
  void unknownFieldsAndWrongTypesAre400() {
    String users = "/v1/tenants/" + t.id() + "/users";
    assertProblem(http.post(users, t.adminKey(), new JsonObject().put("username", "ivy").put("password", AuthSuite.PASSWORD)
        .put("role", "viewer").put("isSuperuser", true)), 400);
    assertProblem(http.post(users, t.adminKey(), new JsonObject().put("username", "ivy").put("password", AuthSuite.PASSWORD)
        .put("role", "root")), 400);
    assertProblem(http.post(users, t.adminKey(), new JsonObject().put("username", 7).put("password", AuthSuite.PASSWORD)
        .put("role", "viewer")), 400);
    assertProblem(http.post(users, t.adminKey(), new JsonObject().put("username", "a:b*c").put("password", AuthSuite.PASSWORD)
        .put("role", "viewer")), 400);
    assertProblem(http.patch(users + "/nobody", t.adminKey(), new JsonObject()), 400);
    assertProblem(http.post("/v1/tenants", AuthNode.OPERATOR, new JsonObject().put("name", "x").put("owner", "y")), 400);
    assertThat(http.get(users, t.adminKey()).json().getJsonArray("users")).isEmpty();
  }

  @Test
  void aMissingBodyIs400() {
    assertProblem(http.post("/v1/tenants/" + t.id() + "/api-keys", t.adminKey(), null), 400);
  }

  @Test
  void anOversizedBodyIs413() {
    String big = "{\"name\": \"" + "x".repeat(2 * 1024 * 1024) + "\", \"role\": \"viewer\"}";
    assertProblem(raw(HttpMethod.POST, "/v1/tenants/" + t.id() + "/api-keys", t.adminKey(), big, "application/json"), 413);
  }

  @Test
  void credentialsAreCheckedBeforeTheBodyIsLookedAt() {
    assertProblem(raw(HttpMethod.POST, "/v1/tenants/" + t.id() + "/users", null, "{broken", "application/json"), 401);
    assertProblem(raw(HttpMethod.POST, "/v1/tenants/" + t.id() + "/users", AuthNode.OPERATOR, "{broken", "application/json"), 403);
  }

  @Test
  void unknownPathsAndBadPathParametersAreProblems() {
    assertProblem(http.get("/v1/nothing-here", t.adminKey()), 404);
    assertProblem(http.delete("/v1/tenants/" + t.id() + "/api-keys/NOT-AN-ID", t.adminKey()), 400);
  }
}
