package dev.kasoku.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.auth.impl.LoginThrottle;
import dev.kasoku.auth.impl.PasswordHasher;
import dev.kasoku.auth.testing.AuditCollector;
import dev.kasoku.auth.testing.AuthNode;
import dev.kasoku.auth.testing.AuthSuite;
import dev.kasoku.auth.testing.Http;
import dev.kasoku.common.bus.Messages.AuditEvent;
import dev.kasoku.common.model.User;
import dev.kasoku.common.security.Tokens;
import dev.kasoku.common.testing.Await;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Login: tokens, one answer for every failure, comparable timing, lockout per user and per source
 * address with growing delays (on a hand-moved clock), audit events. Each test sends from its own
 * loopback address (127.0.0.x) so per-address lockout state never leaks between tests.
 */
public abstract class LoginTest extends AuthSuite {
  private static final AtomicInteger NEXT_ADDRESS = new AtomicInteger(10);
  private AuthNode.TenantAdmin tenant;
  private AuditCollector audit;

  @BeforeAll
  void setUpTenant() {
    tenant = node.createTenant("Login");
    audit = new AuditCollector(vertx);
  }

  @AfterAll
  void closeAudit() {
    audit.close();
  }

  /** A client sending from a loopback address no other test uses. */
  private Http fromOwnAddress() {
    return new Http(vertx, http.port(), "127.0.0." + NEXT_ADDRESS.getAndIncrement());
  }

  private static JsonObject login(String tenant, String user, String password) {
    return new JsonObject().put("tenant", tenant).put("username", user).put("password", password);
  }

  private String newUser() {
    String name = unique("u");
    node.createUser(tenant.id(), tenant.adminKey(), name, PASSWORD, "viewer");
    return name;
  }

  @Test
  void theRightPasswordGivesABearerTokenValidForFifteenMinutes() {
    String user = newUser();
    Http c = fromOwnAddress();
    Http.Resp r = c.post("/v1/auth/login", null, login(tenant.id(), user, PASSWORD));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.headers().get("Cache-Control")).isEqualTo("no-store");
    assertThat(r.json().getString("tokenType")).isEqualTo("Bearer");
    Instant expires = Instant.parse(r.json().getString("expiresAt"));
    assertThat(Duration.between(clock.instant(), expires)).isBetween(Tokens.TTL.minusSeconds(2), Tokens.TTL);
    assertThat(c.get("/v1/tenants/" + tenant.id() + "/sites", r.json().getString("token")).status()).isEqualTo(501);
    c.close();
  }

  /**
   * A password stored with other Argon2id parameters is re-hashed with the current ones after a
   * successful login (a compare-and-set on the user as read, see SessionHandlers#upgradeHash), and
   * the role and credentials version are kept.
   */
  @Test
  void aPasswordHashedWithOtherParametersIsUpgradedAtLogin() throws Exception {
    String user = newUser();
    User before = Await.result(store.tenants().getUser(tenant.id(), user)).orElseThrow();
    String old = Await.result(new PasswordHasher(vertx, new PasswordHasher.Params(2048, 1, 1)).hash(PASSWORD));
    Await.result(store.tenants().updateUser(new User(before.tenant(), before.username(), before.role(), old,
        before.credentialsVersion(), before.createdAt(), before.updatedAt())));

    Http c = fromOwnAddress();
    assertThat(c.post("/v1/auth/login", null, login(tenant.id(), user, PASSWORD)).status()).isEqualTo(200);
    c.close();

    User after = before;
    for (int i = 0; i < 100; i++) { // the upgrade runs after the answer
      after = Await.result(store.tenants().getUser(tenant.id(), user)).orElseThrow();
      if (!after.passwordHash().equals(old)) {
        break;
      }
      Thread.sleep(50);
    }
    assertThat(after.passwordHash()).isNotEqualTo(old).isNotEqualTo(before.passwordHash());
    assertThat(after.role()).isEqualTo(before.role());
    assertThat(after.credentialsVersion()).isEqualTo(before.credentialsVersion());
    Http again = fromOwnAddress();
    assertThat(again.post("/v1/auth/login", null, login(tenant.id(), user, PASSWORD)).status()).isEqualTo(200);
    again.close();
  }

  @Test
  void unknownTenantUnknownUserAndWrongPasswordGetTheSameAnswer() {
    String user = newUser();
    Http c = fromOwnAddress();
    List<Http.Resp> answers = List.of(
        c.post("/v1/auth/login", null, login(tenant.id(), user, "not-the-password-at-all")),
        c.post("/v1/auth/login", null, login(tenant.id(), unique("nobody"), PASSWORD)),
        c.post("/v1/auth/login", null, login(unique("no-such-tenant"), user, PASSWORD)));
    JsonObject first = withoutRequestId(answers.get(0));
    assertThat(first.getString("detail")).isEqualTo("invalid tenant, username or password");
    for (Http.Resp r : answers) {
      assertThat(r.status()).isEqualTo(401);
      assertThat(r.headers().get("Content-Type")).startsWith("application/problem+json");
      assertThat(withoutRequestId(r)).isEqualTo(first);
    }
    c.close();
  }

  @Test
  void anUnknownUserTakesAboutAsLongAsAWrongPassword() {
    String user = newUser();
    Http c = fromOwnAddress();
    c.post("/v1/auth/login", null, login(tenant.id(), unique("warm-up"), PASSWORD));
    List<Long> wrong = new ArrayList<>();
    List<Long> unknown = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      wrong.add(timed(c, login(tenant.id(), user, "wrong-password-" + i)));
      unknown.add(timed(c, login(tenant.id(), unique("ghost"), "wrong-password-" + i)));
    }
    long w = median(wrong);
    long u = median(unknown);
    // the failure mode this guards against is an instant answer for unknown users (no hash at all)
    assertThat(u).as("unknown-user median %d ms vs wrong-password median %d ms", u, w).isGreaterThan(w / 2);
    c.close();
  }

  @Test
  void fiveFailuresLockTheUserOutWithGrowingDelaysEvenForTheRightPassword() {
    String user = newUser();
    Http c = fromOwnAddress();
    for (int i = 1; i <= LoginThrottle.USER_LIMIT; i++) {
      assertThat(c.post("/v1/auth/login", null, login(tenant.id(), user, "bad-guess-number-" + i)).status())
          .isEqualTo(401);
    }
    Http.Resp locked = c.post("/v1/auth/login", null, login(tenant.id(), user, PASSWORD));
    assertThat(locked.status()).isEqualTo(429);
    assertThat(locked.headers().get("Content-Type")).startsWith("application/problem+json");
    assertThat(Long.parseLong(locked.headers().get("Retry-After"))).isEqualTo(15);

    clock.advance(Duration.ofSeconds(16));
    assertThat(c.post("/v1/auth/login", null, login(tenant.id(), user, "bad-guess-again")).status()).isEqualTo(401);
    Http.Resp longer = c.post("/v1/auth/login", null, login(tenant.id(), user, PASSWORD));
    assertThat(longer.status()).isEqualTo(429);
    assertThat(Long.parseLong(longer.headers().get("Retry-After"))).isEqualTo(30);

    clock.advance(Duration.ofSeconds(31));
    assertThat(c.post("/v1/auth/login", null, login(tenant.id(), user, PASSWORD)).status()).isEqualTo(200);
    // a success clears the user's failures: one more failure does not lock again
    assertThat(c.post("/v1/auth/login", null, login(tenant.id(), user, "one-more-bad-guess")).status()).isEqualTo(401);
    assertThat(c.post("/v1/auth/login", null, login(tenant.id(), user, PASSWORD)).status()).isEqualTo(200);
    c.close();
  }

  @Test
  void lockoutHoldsForUnknownUsersToo() {
    // otherwise a 429 would tell an attacker which usernames exist
    Http c = fromOwnAddress();
    String ghost = unique("ghost");
    for (int i = 1; i <= LoginThrottle.USER_LIMIT; i++) {
      c.post("/v1/auth/login", null, login(tenant.id(), ghost, "bad-guess-number-" + i));
    }
    assertThat(c.post("/v1/auth/login", null, login(tenant.id(), ghost, PASSWORD)).status()).isEqualTo(429);
    c.close();
  }

  @Test
  void manyFailuresFromOneAddressLockThatAddressForEveryUser() {
    String user = newUser();
    Http attacker = fromOwnAddress();
    for (int i = 1; i <= LoginThrottle.SOURCE_LIMIT; i++) {
      assertThat(attacker.post("/v1/auth/login", null, login(tenant.id(), unique("spray"), "Spray-password-1")).status())
          .isEqualTo(401);
    }
    assertThat(attacker.post("/v1/auth/login", null, login(tenant.id(), user, PASSWORD)).status()).isEqualTo(429);
    Http other = fromOwnAddress();
    assertThat(other.post("/v1/auth/login", null, login(tenant.id(), user, PASSWORD)).status())
        .as("another address is not locked").isEqualTo(200);
    clock.advance(LoginThrottle.BASE_DELAY.plusSeconds(1));
    assertThat(attacker.post("/v1/auth/login", null, login(tenant.id(), user, PASSWORD)).status()).isEqualTo(200);
    attacker.close();
    other.close();
  }

  @Test
  void everyLoginSuccessAndFailureIsAudited() {
    String user = newUser();
    Http c = fromOwnAddress();
    c.post("/v1/auth/login", null, login(tenant.id(), user, "wrong-password-here"));
    c.post("/v1/auth/login", null, login(tenant.id(), user, PASSWORD));
    AuditEvent failure = audit.await(e -> "auth.login".equals(e.action()) && user.equals(e.target())
        && e.outcome().startsWith("failure"));
    AuditEvent success = audit.await(e -> "auth.login".equals(e.action()) && user.equals(e.target())
        && "success".equals(e.outcome()));
    assertThat(failure.tenant()).isEqualTo(tenant.id());
    assertThat(failure.sourceIp()).startsWith("127.0.0.");
    assertThat(success.actor()).isEqualTo("user:" + user);
    c.close();
  }

  @Test
  void aMalformedLoginBodyIsRefusedBeforeAnyPasswordWork() {
    Http.Resp r = http.post("/v1/auth/login", null, new JsonObject().put("tenant", tenant.id())
        .put("username", "x").put("password", "y").put("extra", new JsonArray()));
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.headers().get("Content-Type")).startsWith("application/problem+json");
  }

  private static JsonObject withoutRequestId(Http.Resp r) {
    JsonObject body = r.json().copy();
    body.remove("requestId");
    return body;
  }

  private static long timed(Http c, JsonObject body) {
    long start = System.nanoTime();
    int status = c.post("/v1/auth/login", null, body).status();
    assertThat(status).isEqualTo(401);
    return (System.nanoTime() - start) / 1_000_000;
  }

  private static long median(List<Long> values) {
    List<Long> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }
}
