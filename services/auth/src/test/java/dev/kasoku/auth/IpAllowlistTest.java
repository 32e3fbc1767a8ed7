package dev.kasoku.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.auth.testing.AuthNode;
import dev.kasoku.auth.testing.AuthSuite;
import dev.kasoku.auth.testing.Http;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A tenant's IP allow-list, with real source addresses: the test sends from 127.0.0.1 (allowed),
 * 127.0.0.2 (not allowed) and 127.0.0.3 (a trusted proxy, KASOKU_TRUSTED_PROXIES) over loopback.
 */
public abstract class IpAllowlistTest extends AuthSuite {
  private static final String PROXY = "127.0.0.3";
  private Http outsider;
  private Http proxy;

  @Override
  protected Map<String, String> env() {
    return Map.of("KASOKU_TRUSTED_PROXIES", PROXY + "/32");
  }

  @BeforeAll
  void clients() {
    outsider = new Http(vertx, http.port(), "127.0.0.2");
    proxy = new Http(vertx, http.port(), PROXY);
  }

  @AfterAll
  void closeClients() {
    outsider.close();
    proxy.close();
  }

  private static JsonObject cidrs(String... values) {
    return new JsonObject().put("cidrs", new JsonArray(java.util.List.of(values)));
  }

  @Test
  void ipv4AndIpv6EntriesAreAcceptedAndStoredNormalised() {
    AuthNode.TenantAdmin t = node.createTenant("Allow");
    String path = "/v1/tenants/" + t.id() + "/ip-allowlist";
    assertThat(http.get(path, t.adminKey()).json().getJsonArray("cidrs")).isEmpty();
    Http.Resp put = http.put(path, t.adminKey(), cidrs("127.0.0.1", "10.1.2.3/8", "2001:db8::1/32", "10.0.0.0/8"));
    assertThat(put.status()).isEqualTo(200);
    assertThat(put.json().getJsonArray("cidrs")).containsExactly("127.0.0.1/32", "10.0.0.0/8", "2001:db8:0:0:0:0:0:0/32");
    assertThat(http.get(path, t.adminKey()).json()).isEqualTo(put.json());
    assertThat(http.put(path, t.adminKey(), cidrs()).status()).isEqualTo(200);
  }

  @Test
  void everyInvalidEntryIsReported() {
    AuthNode.TenantAdmin t = node.createTenant("Invalid");
    Http.Resp r = http.put("/v1/tenants/" + t.id() + "/ip-allowlist", t.adminKey(),
        cidrs("127.0.0.1", "example.com", "10.0.0.0/33", "::1/129", "300.1.1.1"));
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().getJsonArray("errors")).hasSize(4);
  }

  @Test
  void aListThatWouldLockOutTheCallingAdminIsRefused() {
    AuthNode.TenantAdmin t = node.createTenant("Lockout");
    Http.Resp r = http.put("/v1/tenants/" + t.id() + "/ip-allowlist", t.adminKey(), cidrs("10.0.0.0/8"));
    assertThat(r.status()).isEqualTo(409);
    assertThat(http.get("/v1/tenants/" + t.id() + "/ip-allowlist", t.adminKey()).json().getJsonArray("cidrs")).isEmpty();
  }

  @Test
  void callsFromOtherAddressesAreRefusedForTokensAndKeysAlike() {
    AuthNode.TenantAdmin t = node.createTenant("Fenced");
    node.createUser(t.id(), t.adminKey(), "erin", PASSWORD, "admin");
    String token = node.token(t.id(), "erin", PASSWORD);
    String viewerKey = node.apiKey(t.id(), t.adminKey(), "viewer");
    String base = "/v1/tenants/" + t.id();
    assertThat(outsider.get(base + "/users", token).status()).as("no list yet: any address").isEqualTo(200);

    assertThat(http.put(base + "/ip-allowlist", t.adminKey(), cidrs("127.0.0.1/32", "::1")).status()).isEqualTo(200);
    for (String credential : new String[] {token, t.adminKey(), viewerKey}) {
      Http.Resp refused = outsider.get(base + "/sites", credential);
      assertThat(refused.status()).isEqualTo(403);
      assertThat(refused.headers().get("Content-Type")).startsWith("application/problem+json");
      assertThat(http.get(base + "/sites", credential).status()).isEqualTo(501);
    }
    assertThat(outsider.post("/v1/auth/logout", token, null).status()).as("every call of the tenant").isEqualTo(403);
    assertThat(outsider.put(base + "/ip-allowlist", t.adminKey(), cidrs()).status()).isEqualTo(403);
    assertThat(http.put(base + "/ip-allowlist", t.adminKey(), cidrs()).status()).isEqualTo(200);
    assertThat(outsider.get(base + "/users", token).status()).as("lifted at once").isEqualTo(200);
  }

  @Test
  void loginFromOutsideTheListGetsTheSameAnswerAsAWrongPassword() {
    AuthNode.TenantAdmin t = node.createTenant("Login fence");
    node.createUser(t.id(), t.adminKey(), "frank", PASSWORD, "viewer");
    assertThat(http.put("/v1/tenants/" + t.id() + "/ip-allowlist", t.adminKey(), cidrs("127.0.0.1")).status())
        .isEqualTo(200);
    JsonObject body = new JsonObject().put("tenant", t.id()).put("username", "frank").put("password", PASSWORD);
    Http.Resp outside = outsider.post("/v1/auth/login", null, body);
    assertThat(outside.status()).isEqualTo(401);
    assertThat(outside.json().getString("detail")).isEqualTo("invalid tenant, username or password");
    assertThat(http.post("/v1/auth/login", null, body).status()).isEqualTo(200);
  }

  @Test
  void aTrustedProxysForwardedForIsBelievedFromTheRightAndOthersAreIgnored() {
    AuthNode.TenantAdmin t = node.createTenant("Proxied");
    String base = "/v1/tenants/" + t.id();
    assertThat(http.put(base + "/ip-allowlist", t.adminKey(), cidrs("127.0.0.1", "198.51.100.0/24")).status())
        .isEqualTo(200);
    assertThat(viaHeader(proxy, base, t.adminKey(), "198.51.100.7")).isEqualTo(501);
    assertThat(viaHeader(proxy, base, t.adminKey(), "203.0.113.9")).isEqualTo(403);
    // the client wrote the left part; the proxy appended the real peer on the right
    assertThat(viaHeader(proxy, base, t.adminKey(), "198.51.100.7, 203.0.113.9")).isEqualTo(403);
    assertThat(viaHeader(proxy, base, t.adminKey(), "203.0.113.9, 198.51.100.7")).isEqualTo(501);
    // a further trusted hop on the right is skipped
    assertThat(viaHeader(proxy, base, t.adminKey(), "198.51.100.7, " + PROXY)).isEqualTo(501);
    // no header from the proxy: the proxy itself is the source, and it is not on the list
    assertThat(proxy.get(base + "/sites", t.adminKey()).status()).isEqualTo(403);
    // an untrusted peer cannot claim an allowed address
    assertThat(viaHeader(outsider, base, t.adminKey(), "198.51.100.7")).isEqualTo(403);
  }

  private static int viaHeader(Http client, String base, String credential, String forwardedFor) {
    return client.send(HttpMethod.GET, base + "/sites", credential, null,
        MultiMap.caseInsensitiveMultiMap().add("X-Forwarded-For", forwardedFor)).status();
  }
}
