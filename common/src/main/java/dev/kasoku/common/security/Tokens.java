package dev.kasoku.common.security;

import dev.kasoku.common.model.Ids;
import dev.kasoku.common.model.TenantRole;
import dev.kasoku.common.http.ApiException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Login tokens: JWTs signed with HMAC-SHA256 under a key derived from the master secret
 * ({@link SecretKeys#TOKEN_SIGNING}).
 *
 * <p>Why this shape: verification is local (signature + expiry, then cached look-ups in
 * {@link AccessControl}), so no node calls the auth service per request; expiry is short
 * ({@link #TTL}) because a stolen token is otherwise good until it expires; the token carries the
 * user's {@code credentialsVersion}, so a password change or deletion invalidates every token issued
 * before it without a per-token list.
 *
 * <p>The algorithm is pinned: the verifier knows exactly one key, an HS256 one, so a token whose
 * header says {@code none}, {@code RS256} (the HS/RS confusion) or anything else finds no key and is
 * refused, as is any token whose signature does not match. Issuer and audience are checked, and the
 * expiry is checked both by the library (wall clock) and against the injected clock.
 *
 * <p>Claims: {@code iss}, {@code aud}, {@code sub} (username), {@code ten} (tenant), {@code role}
 * (informational: the gate uses the user's current role), {@code cv} (credentials version),
 * {@code jti}, {@code exp}. No {@code iat}: the library would judge it against the wall clock, not
 * the injected one, and nothing here needs it.
 */
public final class Tokens {
  /** How long a login token is valid. */
  public static final Duration TTL = Duration.ofMinutes(15);
  public static final String ISSUER = "kasoku";
  public static final String AUDIENCE = "kasoku-api";
  private static final String ALGORITHM = "HS256";
  private static final System.Logger LOG = System.getLogger(Tokens.class.getName());

  private final Clock clock;
  private final Supplier<Future<JWTAuth>> auth;

  /**
   * @param signingKey resolves the 32-byte signing key once (it may need file I/O, see
   *     {@link SecretKeys}); the result is memoised
   */
  public Tokens(Vertx vertx, Supplier<Future<byte[]>> signingKey, Clock clock) {
    this.clock = clock;
    this.auth = memoize(() -> signingKey.get().map(key -> JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm(ALGORITHM).setBuffer(Buffer.buffer(key)))
        .setJWTOptions(new JWTOptions().setIssuer(ISSUER).setAudience(List.of(AUDIENCE))))));
  }

  /** A token as handed to the client. */
  public record Issued(String token, String tokenId, Instant expiresAt) {}

  /** The verified content of a token. */
  public record Claims(String tenant, String username, TenantRole role, long credentialsVersion,
                       String tokenId, Instant expiresAt) {}

  /** Signs a new token for the user. */
  public Future<Issued> issue(String tenant, String username, TenantRole role, long credentialsVersion) {
    Instant now = clock.instant();
    Instant exp = now.plus(TTL);
    String jti = UUID.randomUUID().toString();
    JsonObject claims = new JsonObject()
        .put("sub", username)
        .put("ten", tenant)
        .put("role", role.id())
        .put("cv", credentialsVersion)
        .put("jti", jti)
        .put("exp", exp.getEpochSecond());
    JWTOptions options = new JWTOptions().setAlgorithm(ALGORITHM).setIssuer(ISSUER)
        .setAudience(List.of(AUDIENCE)).setNoTimestamp(true);
    return auth.get().map(a -> new Issued(a.generateToken(claims, options), jti,
        Instant.ofEpochSecond(exp.getEpochSecond())));
  }

  /** Verifies signature, algorithm, issuer, audience and expiry; fails with 401 otherwise. */
  public Future<Claims> verify(String jwt) {
    return auth.get()
        .compose(a -> a.authenticate(new TokenCredentials(jwt)))
        .recover(e -> {
          LOG.log(System.Logger.Level.DEBUG, "token refused: " + e.getMessage());
          return Future.failedFuture(ApiException.unauthorized("invalid or expired token"));
        })
        .compose(user -> {
          // the verified payload; the principal lacks the time claims
          JsonObject c = user.attributes().getJsonObject("accessToken");
          try {
            if (c == null) {
              return Future.failedFuture(ApiException.unauthorized("invalid or expired token"));
            }
            Instant exp = Instant.ofEpochSecond(c.getLong("exp"));
            if (!exp.isAfter(clock.instant())) {
              return Future.failedFuture(ApiException.unauthorized("invalid or expired token"));
            }
            String tenant = c.getString("ten");
            String username = c.getString("sub");
            String jti = c.getString("jti");
            if (!Ids.isValid(tenant) || username == null || jti == null) {
              return Future.failedFuture(ApiException.unauthorized("invalid or expired token"));
            }
            return Future.succeededFuture(new Claims(tenant, username, TenantRole.parse(c.getString("role")),
                c.getLong("cv"), jti, exp));
          } catch (RuntimeException malformed) {
            // a missing or mistyped claim in a correctly signed token: still just an invalid token
            return Future.failedFuture(ApiException.unauthorized("invalid or expired token"));
          }
        });
  }

  /** True when the credential has the shape of a JWT (three base64url parts). */
  public static boolean looksLikeJwt(String credential) {
    int first = credential.indexOf('.');
    return first > 0 && credential.indexOf('.', first + 1) > first && credential.chars().filter(ch -> ch == '.').count() == 2;
  }

  static <T> Supplier<Future<T>> memoize(Supplier<Future<T>> supplier) {
    return new Supplier<>() {
      private Future<T> value;

      @Override
      public synchronized Future<T> get() {
        if (value == null || value.failed()) {
          value = supplier.get();
        }
        return value;
      }
    };
  }
}
