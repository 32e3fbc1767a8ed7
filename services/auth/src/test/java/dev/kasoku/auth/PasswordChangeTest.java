package dev.kasoku.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.auth.testing.AuditCollector;
import dev.kasoku.auth.testing.AuthNode;
import dev.kasoku.auth.testing.AuthSuite;
import dev.kasoku.auth.testing.Http;
import dev.kasoku.common.security.SessionCookies;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A user changes their own password ({@code POST /v1/auth/password}): the current password is
 * checked and counts toward the login lockout, the policy applies, every other token of the user
 * stops verifying, and the caller continues with a new token (in the cookie for the portal). Each
 * test sends from its own loopback address so per-address lockout state never leaks between tests.
 */
public abstract class PasswordChangeTest extends AuthSuite {
  private static final String PATH = "/v1/auth/password";
  private static final String NEW_PASSWORD = "quiet-Lantern-58-meadow";
  private static final AtomicInteger NEXT_ADDRESS = new AtomicInteger(100);
  private AuthNode.TenantAdmin tenant;
  private AuditCollector audit;

  @BeforeAll
  void setUpTenant() {
    tenant = node.createTenant("Passwords");
    audit = new AuditCollector(vertx);
  }

  @AfterAll
  void closeAudit() {
    audit.close();
  }

  private Http fromOwnAddress() {
    return new Http(vertx, http.port(), "127.0.0." + NEXT_ADDRESS.getAndIncrement());
  }

  private String newUser(String role) {
    String name = unique("pw");
    node.createUser(tenant.id(), tenant.adminKey(), name, PASSWORD, role);
    return name;
  }

  private static JsonObject change(String current, String next) {
    return new JsonObject().put("currentPassword", current).put("newPassword", next);
  }

  @Test
  void theNewPasswordLogsInTheOldOneNoLongerAndOtherTokensEndWhileTheCallerGetsANewOne() {
    String user = newUser("viewer");
    String token = node.token(tenant.id(), user, PASSWORD);
    String otherSession = node.token(tenant.id(), user, PASSWORD);
    Http.Resp r = http.post(PATH, token, change(PASSWORD, NEW_PASSWORD));
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    String fresh = r.json().getString("token");
    assertThat(fresh).isNotBlank().isNotEqualTo(token);
    assertThat(http.get("/v1/auth/session", fresh).status()).isEqualTo(200);
    assertThat(http.get("/v1/auth/session", token).status()).as("the calling token is replaced").isEqualTo(401);
    assertThat(http.get("/v1/auth/session", otherSession).status()).as("other sessions end").isEqualTo(401);
    assertThat(node.login(tenant.id(), user, PASSWORD).status()).isEqualTo(401);
    assertThat(node.login(tenant.id(), user, NEW_PASSWORD).status()).isEqualTo(200);
    var event = audit.await(e -> "auth.password.change".equals(e.action()) && user.equals(e.target())
        && "success".equals(e.outcome()));
    assertThat(event.actor()).isEqualTo("user:" + user);
    assertThat(event.tenant()).isEqualTo(tenant.id());
  }

  @Test
  void aWrongCurrentPasswordIsRefusedAtItsFieldAndCountsTowardTheLockout() {
    String user = newUser("editor");
    Http client = fromOwnAddress();
    try {
      String token = node.token(tenant.id(), user, PASSWORD);
      Http.Resp wrong = client.post(PATH, token, change("not-the-password-at-all", NEW_PASSWORD));
      assertThat(wrong.status()).isEqualTo(400);
      assertThat(wrong.headers().get("Content-Type")).startsWith("application/problem+json");
      assertThat(wrong.json().getJsonArray("errors").getString(0)).startsWith("currentPassword:");
      audit.await(e -> "auth.password.change".equals(e.action()) && user.equals(e.target())
          && "failure:current-password".equals(e.outcome()));
      for (int i = 0; i < 4; i++) {
        assertThat(client.post(PATH, token, change("wrong-guess-number-" + i, NEW_PASSWORD)).status()).isEqualTo(400);
      }
      Http.Resp locked = client.post(PATH, token, change(PASSWORD, NEW_PASSWORD));
      assertThat(locked.status()).as("locked out, even with the right password").isEqualTo(429);
      assertThat(locked.headers().get("Retry-After")).isNotBlank();
      assertThat(node.login(tenant.id(), user, PASSWORD).status()).as("the same lockout as logins").isEqualTo(429);
    } finally {
      client.close();
    }
  }

  @Test
  void theNewPasswordMustPassThePolicyAndDifferFromTheCurrentOne() {
    String user = newUser("viewer");
    String token = node.token(tenant.id(), user, PASSWORD);
    Http.Resp weak = http.post(PATH, token, change(PASSWORD, "Password2024!"));
    assertThat(weak.status()).isEqualTo(400);
    assertThat(weak.json().getJsonArray("errors").getString(0)).startsWith("newPassword:");
    Http.Resp same = http.post(PATH, token, change(PASSWORD, PASSWORD));
    assertThat(same.status()).isEqualTo(400);
    assertThat(same.json().getJsonArray("errors").encode()).contains("newPassword: must differ from the current password");
    Http.Resp tooShort = http.post(PATH, token, change(PASSWORD, "short-1A"));
    assertThat(tooShort.status()).as("the contract's minLength").isEqualTo(400);
    Http.Resp missing = http.post(PATH, token, new JsonObject().put("newPassword", NEW_PASSWORD));
    assertThat(missing.status()).isEqualTo(400);
    assertThat(missing.headers().get("Content-Type")).startsWith("application/problem+json");
    assertThat(http.get("/v1/auth/session", token).status()).as("nothing changed").isEqualTo(200);
    assertThat(node.login(tenant.id(), user, PASSWORD).status()).isEqualTo(200);
  }

  @Test
  void anApiKeyHasNoPasswordAndNoCredentialIsRefused() {
    Http.Resp key = http.post(PATH, tenant.adminKey(), change(PASSWORD, NEW_PASSWORD));
    assertThat(key.status()).isEqualTo(400);
    assertThat(key.json().getString("detail")).contains("API key");
    assertThat(http.post(PATH, null, change(PASSWORD, NEW_PASSWORD)).status()).isEqualTo(401);
  }

  @Test
  void withThePortalsSessionCookieTheAnswerSetsANewSessionThatNeedsItsOwnCsrfValue() {
    String user = newUser("admin");
    Http.Resp login = http.send(HttpMethod.POST, "/v1/auth/session", null, new JsonObject().put("tenant", tenant.id())
        .put("username", user).put("password", PASSWORD).toBuffer(), MultiMap.caseInsensitiveMultiMap());
    String session = cookieValue(login, SessionCookies.SESSION);
    String csrf = login.json().getString("csrfToken");
    Http.Resp noCsrf = http.send(HttpMethod.POST, PATH, null, change(PASSWORD, NEW_PASSWORD).toBuffer(),
        MultiMap.caseInsensitiveMultiMap().add("Cookie", SessionCookies.SESSION + "=" + session));
    assertThat(noCsrf.status()).as("a state change: the anti-CSRF header is needed").isEqualTo(403);
    Http.Resp r = http.send(HttpMethod.POST, PATH, null, change(PASSWORD, NEW_PASSWORD).toBuffer(),
        MultiMap.caseInsensitiveMultiMap().add("Cookie", SessionCookies.SESSION + "=" + session)
            .add(SessionCookies.CSRF_HEADER, csrf));
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    assertThat(r.json().containsKey("token")).as("the token stays in the HttpOnly cookie").isFalse();
    String newSession = cookieValue(r, SessionCookies.SESSION);
    assertThat(newSession).isNotEqualTo(session);
    assertThat(r.json().getString("csrfToken")).isEqualTo(SessionCookies.csrfToken(newSession))
        .isEqualTo(cookieValue(r, SessionCookies.CSRF));
    MultiMap old = MultiMap.caseInsensitiveMultiMap().add("Cookie", SessionCookies.SESSION + "=" + session);
    assertThat(http.send(HttpMethod.GET, "/v1/auth/session", null, null, old).status()).isEqualTo(401);
    MultiMap fresh = MultiMap.caseInsensitiveMultiMap().add("Cookie", SessionCookies.SESSION + "=" + newSession);
    assertThat(http.send(HttpMethod.GET, "/v1/auth/session", null, null, fresh).json().getString("username")).isEqualTo(user);
  }

  private static String cookieValue(Http.Resp r, String name) {
    String c = r.headers().getAll("Set-Cookie").stream().filter(s -> s.startsWith(name + "=")).findFirst().orElseThrow();
    return c.substring(c.indexOf('=') + 1, c.indexOf(';'));
  }
}
