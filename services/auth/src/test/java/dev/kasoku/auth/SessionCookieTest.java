package dev.kasoku.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.auth.testing.AuthNode;
import dev.kasoku.auth.testing.AuthSuite;
import dev.kasoku.auth.testing.Http;
import dev.kasoku.common.security.SessionCookies;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The portal's session (POST /v1/auth/session): the login token in an HttpOnly, SameSite=Strict
 * cookie, accepted by the access gate like the token, with the anti-CSRF header required on every
 * call that changes state, revoked on logout like a token. Loopback is a trusted proxy here, so
 * {@code X-Forwarded-Proto: https} stands for a TLS-terminating load balancer.
 */
public abstract class SessionCookieTest extends AuthSuite {
  private AuthNode.TenantAdmin tenant;
  private String user;

  @Override
  protected Map<String, String> env() {
    return Map.of("KASOKU_TRUSTED_PROXIES", "127.0.0.0/8");
  }

  @BeforeAll
  void setUpTenant() {
    tenant = node.createTenant("Sessions");
    user = unique("portal");
    node.createUser(tenant.id(), tenant.adminKey(), user, PASSWORD, "admin");
  }

  private Http.Resp login(MultiMap headers) {
    return http.send(HttpMethod.POST, "/v1/auth/session", null, new JsonObject().put("tenant", tenant.id())
        .put("username", user).put("password", PASSWORD).toBuffer(), headers);
  }

  private static String cookie(Http.Resp r, String name) {
    return r.headers().getAll("Set-Cookie").stream().filter(c -> c.startsWith(name + "=")).findFirst().orElse(null);
  }

  private static String value(String setCookie) {
    return setCookie.substring(setCookie.indexOf('=') + 1, setCookie.indexOf(';'));
  }

  private Http.Resp withCookie(HttpMethod method, String path, String session, String csrf, JsonObject body) {
    MultiMap h = MultiMap.caseInsensitiveMultiMap().add("Cookie", SessionCookies.SESSION + "=" + session);
    if (csrf != null) {
      h.add(SessionCookies.CSRF_HEADER, csrf);
    }
    return http.send(method, path, null, body == null ? null : body.toBuffer(), h);
  }

  @Test
  void theSessionCookieIsHttpOnlyStrictAndTheBodyHasNoToken() {
    Http.Resp r = login(MultiMap.caseInsensitiveMultiMap());
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    assertThat(r.json().containsKey("token")).isFalse();
    assertThat(r.json().getString("role")).isEqualTo("admin");
    assertThat(r.json().getString("tenant")).isEqualTo(tenant.id());
    String session = cookie(r, SessionCookies.SESSION);
    // attribute names are case-insensitive (Netty writes "HTTPOnly")
    assertThat(session).containsIgnoringCase("HttpOnly").contains("SameSite=Strict").contains("Path=/")
        .contains("Max-Age=").doesNotContainIgnoringCase("Secure");
    String csrf = cookie(r, SessionCookies.CSRF);
    assertThat(csrf).contains("SameSite=Strict").doesNotContainIgnoringCase("HttpOnly");
    assertThat(value(csrf)).isEqualTo(r.json().getString("csrfToken")).isEqualTo(SessionCookies.csrfToken(value(session)));
  }

  @Test
  void overTlsAtTheProxyTheCookiesAreSecure() {
    Http.Resp r = login(MultiMap.caseInsensitiveMultiMap().add("X-Forwarded-Proto", "https"));
    assertThat(cookie(r, SessionCookies.SESSION)).containsIgnoringCase("; Secure");
    assertThat(cookie(r, SessionCookies.CSRF)).containsIgnoringCase("; Secure");
  }

  @Test
  void theCookieAuthenticatesReadsAndChangesNeedTheBoundCsrfHeader() {
    Http.Resp r = login(MultiMap.caseInsensitiveMultiMap());
    String session = value(cookie(r, SessionCookies.SESSION));
    String csrf = r.json().getString("csrfToken");
    String users = "/v1/tenants/" + tenant.id() + "/users";
    Http.Resp who = withCookie(HttpMethod.GET, "/v1/auth/session", session, null, null);
    assertThat(who.status()).isEqualTo(200);
    assertThat(who.json().getString("username")).isEqualTo(user);
    assertThat(withCookie(HttpMethod.GET, users, session, null, null).status()).isEqualTo(200);

    String allowlist = "/v1/tenants/" + tenant.id() + "/ip-allowlist";
    JsonObject empty = new JsonObject().put("cidrs", new JsonArray());
    Http.Resp none = withCookie(HttpMethod.PUT, allowlist, session, null, empty);
    assertThat(none.status()).isEqualTo(403);
    assertThat(none.json().getString("detail")).contains(SessionCookies.CSRF_HEADER);
    assertThat(withCookie(HttpMethod.PUT, allowlist, session, "wrong", empty).status()).isEqualTo(403);
    // the value of another session is not this session's
    String other = login(MultiMap.caseInsensitiveMultiMap()).json().getString("csrfToken");
    assertThat(withCookie(HttpMethod.PUT, allowlist, session, other, empty).status()).isEqualTo(403);
    assertThat(withCookie(HttpMethod.PUT, allowlist, session, csrf, empty).status()).isEqualTo(200);
    // an API client's bearer credential needs no CSRF header, and wins over a cookie
    MultiMap h = MultiMap.caseInsensitiveMultiMap().add("Cookie", SessionCookies.SESSION + "=" + session);
    assertThat(http.send(HttpMethod.PUT, allowlist, tenant.adminKey(), empty.toBuffer(), h).status()).isEqualTo(200);
    // a cookie that is no token is refused like a bad bearer credential
    assertThat(withCookie(HttpMethod.GET, users, "not.a.jwt", null, null).status()).isEqualTo(401);
  }

  @Test
  void logoutWithTheCookieRevokesItAndClearsBothCookies() {
    Http.Resp r = login(MultiMap.caseInsensitiveMultiMap());
    String session = value(cookie(r, SessionCookies.SESSION));
    String csrf = r.json().getString("csrfToken");
    assertThat(withCookie(HttpMethod.POST, "/v1/auth/logout", session, null, null).status())
        .as("logout changes state: it needs the CSRF header too").isEqualTo(403);
    Http.Resp out = withCookie(HttpMethod.POST, "/v1/auth/logout", session, csrf, null);
    assertThat(out.status()).isEqualTo(204);
    List<String> cleared = out.headers().getAll("Set-Cookie");
    assertThat(cleared).anySatisfy(c -> assertThat(c).startsWith(SessionCookies.SESSION + "=;").contains("Max-Age=0"));
    assertThat(cleared).anySatisfy(c -> assertThat(c).startsWith(SessionCookies.CSRF + "=;").contains("Max-Age=0"));
    assertThat(withCookie(HttpMethod.GET, "/v1/auth/session", session, null, null).status()).isEqualTo(401);
  }

  @Test
  void aSessionIsALoginNotAnApiKey() {
    Http.Resp r = http.get("/v1/auth/session", tenant.adminKey());
    assertThat(r.status()).isEqualTo(400);
  }
}
