package dev.kasoku.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.auth.testing.AuthNode;
import dev.kasoku.auth.testing.AuthSuite;
import dev.kasoku.auth.testing.Http;
import dev.kasoku.common.model.User;
import dev.kasoku.common.security.AccessControl;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.TempStores;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A revocation made through one node is refused by another node within 1 s. The second node is a
 * separate API router with its own access gate and verification caches (no auth service: its auth
 * operations answer 501), sharing the store and the event bus. Each test first warms the second
 * node's caches with the credential, so only the bus notice — not cache expiry
 * ({@link AccessControl#CACHE_TTL}, longer than the bound) — can make it refuse in time.
 */
public abstract class RevocationAcrossNodesTest extends AuthSuite {
  private static final long BOUND_MS = 1000;
  private AuthNode other;
  private Path otherDir;
  private AuthNode.TenantAdmin t;

  @BeforeAll
  void startSecondNode() {
    assertThat(AccessControl.CACHE_TTL.toMillis()).isGreaterThan(BOUND_MS);
    otherDir = TempStores.newDirectory();
    other = AuthNode.start(vertx, store, clock, otherDir, Map.of(), false);
    t = node.createTenant("Two nodes");
  }

  @AfterAll
  void stopSecondNode() {
    other.stop();
    TempStores.deleteRecursively(otherDir);
  }

  @Test
  void theOtherNodeServesNoAuthOperations() {
    assertThat(other.http.post("/v1/auth/login", null, new JsonObject().put("tenant", t.id()).put("username", "x")
        .put("password", "y")).status()).isEqualTo(501);
  }

  @Test
  void aLoggedOutTokenIsRefusedByTheOtherNodeWithinOneSecond() {
    node.createUser(t.id(), t.adminKey(), "ines", PASSWORD, "viewer");
    String token = node.token(t.id(), "ines", PASSWORD);
    String sites = "/v1/tenants/" + t.id() + "/sites";
    assertThat(other.http.get(sites, token).status()).isEqualTo(501);
    assertThat(node.http.post("/v1/auth/logout", token, null).status()).isEqualTo(204);
    assertRefusedWithinBound(other.http, sites, token);
  }

  @Test
  void aDeletedApiKeyIsRefusedByTheOtherNodeWithinOneSecond() {
    String key = node.apiKey(t.id(), t.adminKey(), "viewer");
    String sites = "/v1/tenants/" + t.id() + "/sites";
    assertThat(other.http.get(sites, key).status()).isEqualTo(501);
    assertThat(node.http.delete("/v1/tenants/" + t.id() + "/api-keys/" + key.substring(4, 20), t.adminKey()).status())
        .isEqualTo(204);
    assertRefusedWithinBound(other.http, sites, key);
  }

  /**
   * A user's own password change answers with a new token at once; a node whose cache still holds
   * the user's old credentials version (its notice not yet there) must accept that newer token, not
   * refuse it until its cache expires. The store is changed here without a notice, so only the
   * version carried by the token can make the other node read the user again.
   */
  @Test
  void aTokenNewerThanTheOtherNodesCachedUserMakesItReadTheUserAgain() {
    node.createUser(t.id(), t.adminKey(), "kira", PASSWORD, "viewer");
    String sites = "/v1/tenants/" + t.id() + "/sites";
    assertThat(other.http.get(sites, node.token(t.id(), "kira", PASSWORD)).status()).as("cache warmed").isEqualTo(501);
    User before = Await.result(store.tenants().getUser(t.id(), "kira")).orElseThrow();
    User bumped = new User(before.tenant(), before.username(), before.role(), before.passwordHash(),
        before.credentialsVersion() + 1, before.createdAt(), before.updatedAt());
    assertThat(Await.result(store.tenants().replaceUser(before, bumped))).isTrue();
    String newer = node.token(t.id(), "kira", PASSWORD);
    assertThat(other.http.get(sites, newer).status()).as("the newer token verifies at once").isEqualTo(501);
  }

  @Test
  void aPasswordChangeRefusesOldTokensOnTheOtherNodeWithinOneSecond() {
    node.createUser(t.id(), t.adminKey(), "jack", PASSWORD, "viewer");
    String token = node.token(t.id(), "jack", PASSWORD);
    String sites = "/v1/tenants/" + t.id() + "/sites";
    assertThat(other.http.get(sites, token).status()).isEqualTo(501);
    assertThat(node.http.patch("/v1/tenants/" + t.id() + "/users/jack", t.adminKey(),
        new JsonObject().put("password", "a-Brand-new-passphrase-3")).status()).isEqualTo(200);
    assertRefusedWithinBound(other.http, sites, token);
  }

  @Test
  void anAllowListAppliesOnTheOtherNodeWithinOneSecond() {
    AuthNode.TenantAdmin fenced = node.createTenant("Fenced two");
    String key = node.apiKey(fenced.id(), fenced.adminKey(), "viewer");
    String sites = "/v1/tenants/" + fenced.id() + "/sites";
    Http outsider = new Http(vertx, other.http.port(), "127.0.0.2");
    assertThat(outsider.get(sites, key).status()).isEqualTo(501);
    assertThat(node.http.put("/v1/tenants/" + fenced.id() + "/ip-allowlist", fenced.adminKey(),
        new JsonObject().put("cidrs", new io.vertx.core.json.JsonArray().add("127.0.0.1"))).status()).isEqualTo(200);
    long start = System.nanoTime();
    int status;
    do {
      status = outsider.get(sites, key).status();
    } while (status != 403 && (System.nanoTime() - start) / 1_000_000 < BOUND_MS);
    assertThat(status).isEqualTo(403);
    outsider.close();
  }

  private static void assertRefusedWithinBound(Http client, String path, String credential) {
    long start = System.nanoTime();
    int status;
    do {
      status = client.get(path, credential).status();
    } while (status != 401 && (System.nanoTime() - start) / 1_000_000 < BOUND_MS);
    assertThat(status).as("refused within %d ms", BOUND_MS).isEqualTo(401);
  }
}
