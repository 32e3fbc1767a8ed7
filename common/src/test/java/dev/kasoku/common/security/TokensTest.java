package dev.kasoku.common.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.http.ApiException;
import dev.kasoku.common.model.TenantRole;
import dev.kasoku.common.testing.Await;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Login tokens: issued tokens verify; tampered, expired, foreign-key and wrong-algorithm tokens do not. */
class TokensTest {
  private static final byte[] KEY = SecretKeys.derive("a-secret-key-of-at-least-32-characters!".getBytes(StandardCharsets.UTF_8),
      SecretKeys.TOKEN_SIGNING);
  private static Vertx vertx;
  private static Tokens tokens;

  @BeforeAll
  static void setUp() {
    vertx = Vertx.vertx();
    tokens = new Tokens(vertx, () -> Future.succeededFuture(KEY), Clock.systemUTC());
  }

  @AfterAll
  static void tearDown() {
    Await.result(vertx.close());
  }

  @Test
  void anIssuedTokenVerifiesWithItsClaims() {
    Tokens.Issued issued = Await.result(tokens.issue("acme", "alice", TenantRole.EDITOR, 42));
    Tokens.Claims c = Await.result(tokens.verify(issued.token()));
    assertThat(c.tenant()).isEqualTo("acme");
    assertThat(c.username()).isEqualTo("alice");
    assertThat(c.role()).isEqualTo(TenantRole.EDITOR);
    assertThat(c.credentialsVersion()).isEqualTo(42);
    assertThat(c.tokenId()).isEqualTo(issued.tokenId());
    assertThat(issued.expiresAt()).isBetween(Instant.now().plus(Tokens.TTL).minusSeconds(5), Instant.now().plus(Tokens.TTL));
  }

  @Test
  void aTokenWithAChangedPayloadIsRefused() {
    String token = Await.result(tokens.issue("acme", "alice", TenantRole.VIEWER, 1)).token();
    String[] parts = token.split("\\.");
    String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
        .replace("\"viewer\"", "\"admin\"");
    String forged = parts[0] + "." + b64(payload) + "." + parts[2];
    assertUnauthorized(forged);
  }

  @Test
  void anExpiredTokenIsRefused() {
    Clock past = Clock.fixed(Instant.now().minus(Tokens.TTL).minus(Duration.ofMinutes(1)), ZoneOffset.UTC);
    Tokens old = new Tokens(vertx, () -> Future.succeededFuture(KEY), past);
    assertUnauthorized(Await.result(old.issue("acme", "alice", TenantRole.ADMIN, 1)).token());
  }

  @Test
  void aTokenExpiredByTheInjectedClockIsRefusedEvenIfTheWallClockDisagrees() {
    String token = Await.result(tokens.issue("acme", "alice", TenantRole.ADMIN, 1)).token();
    Tokens later = new Tokens(vertx, () -> Future.succeededFuture(KEY),
        Clock.offset(Clock.systemUTC(), Tokens.TTL.plusSeconds(1)));
    assertUnauthorized(later.verify(token));
  }

  @Test
  void aTokenSignedWithAnotherKeyIsRefused() {
    Tokens other = new Tokens(vertx, () -> Future.succeededFuture(SecretKeys.derive(KEY, "other")), Clock.systemUTC());
    assertUnauthorized(Await.result(other.issue("acme", "alice", TenantRole.ADMIN, 1)).token());
  }

  @Test
  void algNoneIsRefused() {
    String payload = claims();
    assertUnauthorized(b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + b64(payload) + ".");
    assertUnauthorized(b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + b64(payload) + "." + b64("x"));
  }

  @Test
  void hsRsConfusionAndOtherAlgorithmsAreRefused() throws Exception {
    String payload = claims();
    // an attacker who signs with HMAC under the right key but claims RS256 or HS512 must still fail:
    // only HS256 is accepted
    for (String alg : new String[] {"RS256", "HS512", "ES256", "PS256"}) {
      String header = b64("{\"alg\":\"" + alg + "\",\"typ\":\"JWT\"}");
      String input = header + "." + b64(payload);
      String mac = alg.equals("HS512") ? "HmacSHA512" : "HmacSHA256";
      Mac m = Mac.getInstance(mac);
      m.init(new SecretKeySpec(KEY, mac));
      String sig = Base64.getUrlEncoder().withoutPadding().encodeToString(m.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
      assertUnauthorized(input + "." + sig);
    }
  }

  @Test
  void aHandMadeHs256TokenWithTheRightKeyVerifies() throws Exception {
    // the control for the test above: the same construction with HS256 is accepted
    String input = b64("{\"alg\":\"HS256\",\"typ\":\"JWT\"}") + "." + b64(claims());
    Mac m = Mac.getInstance("HmacSHA256");
    m.init(new SecretKeySpec(KEY, "HmacSHA256"));
    String sig = Base64.getUrlEncoder().withoutPadding().encodeToString(m.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
    assertThat(Await.result(tokens.verify(input + "." + sig)).username()).isEqualTo("alice");
  }

  private static String claims() {
    long now = Instant.now().getEpochSecond();
    return "{\"iss\":\"kasoku\",\"aud\":\"kasoku-api\",\"sub\":\"alice\",\"ten\":\"acme\",\"role\":\"admin\",\"cv\":1,"
        + "\"jti\":\"j1\",\"iat\":" + now + ",\"exp\":" + (now + 600) + "}";
  }

  private static void assertUnauthorized(String token) {
    assertUnauthorized(tokens.verify(token));
  }

  private static void assertUnauthorized(Future<?> verification) {
    Throwable t = Await.failure(verification);
    assertThat(t).isInstanceOf(ApiException.class);
    assertThat(((ApiException) t).status()).isEqualTo(401);
  }

  private static String b64(String s) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
