package dev.kasoku.common.security;

import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages.AccessChanged;
import dev.kasoku.common.bus.Messages.TenantDeleted;
import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.http.ApiException;
import dev.kasoku.common.http.ProblemType;
import dev.kasoku.common.http.RequestIds;
import dev.kasoku.common.model.ApiKey;
import dev.kasoku.common.model.User;
import dev.kasoku.common.net.Cidr;
import dev.kasoku.common.security.impl.VerificationCache;
import dev.kasoku.common.store.Store;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The one gate every API request passes, whichever service serves it: credential → principal,
 * then the operation's {@link Access} rule, the tenant match and the tenant's IP allow-list.
 * {@link dev.kasoku.common.api.ApiRouter} installs it in front of every contract operation, before
 * body validation, so an operation whose service is not even running is still guarded.
 *
 * <p><b>Credentials.</b> {@code Authorization: Bearer <credential>} where the credential is an API
 * key ({@code ksk_...}, see {@link ApiKeys}), a login token (a JWT, see {@link Tokens}) or an
 * operator credential (anything else, see {@link OperatorCredentials}). A missing, malformed,
 * unknown, revoked or expired credential is 401 with one generic message. Without an
 * {@code Authorization} header, the portal's session cookie ({@link SessionCookies#SESSION}, a login
 * token) is accepted instead, verified and revoked exactly like the token; a call authenticated by
 * the cookie that changes state (not GET or HEAD) also needs the anti-CSRF header
 * ({@link SessionCookies#CSRF_HEADER}) bound to that cookie, else 403.
 *
 * <p><b>Decisions.</b> Operator rules admit only the operator. Tenant rules refuse the operator with
 * 403 (staff do not read customers' data: docs/security-controls.md, 9.4.4 and 15.1.1); a caller of another tenant gets
 * exactly the 404 a tenant that does not exist gets ({@link #noSuchTenant()}), so tenant ids cannot
 * be probed; then the tenant's allow-list (403) and the role ({@code TenantRole.atLeast}, 403). The
 * allow-list applies to every non-public call of a tenant's principal, whatever the operation.
 *
 * <p><b>No call to the auth service per request.</b> Tokens are verified locally (signature,
 * expiry); what the store says about keys, users (credentials version, current role), revoked token
 * ids, allow-lists and operator credentials is cached for {@link #CACHE_TTL}. Every change to that
 * state is followed by an {@link Addresses#ACCESS_CHANGED} notice (and tenant erasure by
 * {@link Addresses#TENANT_DELETED}) on which every node drops the affected entries at once; the
 * TTL only bounds how long a node that missed a notice can lag. The other way round, a login token
 * carrying a newer credentials version than the cached user (issued right after a password change)
 * makes the node read the user again instead of refusing it until the notice or the TTL arrives.
 */
public final class AccessControl {
  /** How long a verification look-up is reused without a notice. */
  public static final Duration CACHE_TTL = Duration.ofSeconds(2);
  /** Longest credential we even try to parse. */
  public static final int MAX_CREDENTIAL_LENGTH = 4096;
  private static final long CACHE_SIZE = 100_000;
  private static final String REVOKED_PREFIX = "revoked-token:";
  private static final Map<String, String> CHALLENGE = Map.of("WWW-Authenticate", "Bearer realm=\"kasoku\"");

  private final KasokuConfig config;
  private final Store store;
  private final Tokens tokens;
  private final VerificationCache<String, Optional<ApiKey>> keys = new VerificationCache<>(CACHE_TTL, CACHE_SIZE);
  private final VerificationCache<UserRef, Optional<User>> users = new VerificationCache<>(CACHE_TTL, CACHE_SIZE);
  private final VerificationCache<UserRef, Boolean> revoked = new VerificationCache<>(CACHE_TTL, CACHE_SIZE);
  private final VerificationCache<String, List<Cidr>> allowlists = new VerificationCache<>(CACHE_TTL, CACHE_SIZE);
  private final VerificationCache<String, Boolean> operators = new VerificationCache<>(CACHE_TTL, CACHE_SIZE);
  private final Future<?> ready;

  /** (tenant, name) key of the user and revocation caches. */
  private record UserRef(String tenant, String name) {}

  public AccessControl(Vertx vertx, KasokuConfig config, Store store, Clock clock) {
    this.config = config;
    this.store = store;
    this.tokens = new Tokens(vertx,
        () -> vertx.executeBlocking(() -> SecretKeys.derive(SecretKeys.master(config), SecretKeys.TOKEN_SIGNING)),
        clock);
    MessageConsumer<AccessChanged> changes = Addresses.ACCESS_CHANGED.consumer(vertx.eventBus(),
        m -> forget(m.body()));
    MessageConsumer<TenantDeleted> deletions = Addresses.TENANT_DELETED.consumer(vertx.eventBus(),
        m -> forgetAll());
    this.ready = Future.all(changes.completion(), deletions.completion());
  }

  /** Completes when the notice consumers are registered (cluster-wide in clustered mode). */
  public Future<?> ready() {
    return ready;
  }

  /** The token issuer/verifier of this process (same key as verification). */
  public Tokens tokens() {
    return tokens;
  }

  /** The store marker name of a revoked token id (tenant scope, expiring with the token). */
  public static String revokedMarker(String tokenId) {
    return REVOKED_PREFIX + tokenId;
  }

  /** The 404 for a tenant the caller may not see; services use it for absent tenants too. */
  public static ApiException noSuchTenant() {
    return ApiException.notFound("no such tenant");
  }

  /**
   * Decides one request: completes with its {@link Caller} (whose principal is null for public
   * operations), which it also stores on the context for the handlers, or fails with the
   * 401/403/404 ApiException. From the moment the credential is verified the context holds the
   * caller, so that whoever records a refusal knows who was refused.
   */
  public Future<Caller> admit(RoutingContext ctx, Access access) {
    String source = SourceAddress.of(ctx.request(), config.trustedProxies());
    String requestId = RequestIds.get(ctx);
    Caller anonymous = new Caller(null, source, requestId);
    ctx.put(Caller.CONTEXT_KEY, anonymous);
    if (access.kind() == Access.Kind.PUBLIC) {
      return Future.succeededFuture(anonymous);
    }
    return authenticate(ctx)
        .compose(p -> {
          Caller caller = new Caller(p, source, requestId);
          ctx.put(Caller.CONTEXT_KEY, caller);
          // after the caller is known, so that a refused cross-site attempt is recorded as its tenant's
          return checkCsrf(ctx).compose(v -> authorize(ctx, access, p, source)).map(caller);
        });
  }

  /** Whether the source may act for the tenant (its allow-list is empty or contains the source). */
  public Future<Boolean> allowed(String tenant, String source) {
    return allowlist(tenant).map(cidrs -> cidrs.isEmpty() || cidrs.stream().anyMatch(c -> c.contains(source)));
  }

  private Future<Principal> authorize(RoutingContext ctx, Access access, Principal p, String source) {
    switch (access.kind()) {
      case OPERATOR:
        return p.kind() == Principal.Kind.OPERATOR
            ? Future.succeededFuture(p)
            : Future.failedFuture(ApiException.forbidden("only the platform operator may do this"));
      case AUTHENTICATED:
        return p.kind() == Principal.Kind.OPERATOR ? Future.succeededFuture(p) : checkAllowlist(p, source);
      case TENANT:
        if (p.kind() == Principal.Kind.OPERATOR) {
          return Future.failedFuture(ApiException.forbidden("operators do not access tenant data"));
        }
        if (!p.tenant().equals(ctx.pathParam("t"))) {
          return Future.failedFuture(noSuchTenant());
        }
        return checkAllowlist(p, source).compose(ok -> p.role().atLeast(access.role())
            ? Future.succeededFuture(p)
            : Future.failedFuture(ApiException.forbidden("this needs the " + access.role().id() + " role")));
      default:
        return Future.failedFuture(new IllegalStateException("unhandled access kind " + access.kind()));
    }
  }

  private Future<Principal> checkAllowlist(Principal p, String source) {
    return allowed(p.tenant(), source).compose(ok -> ok
        ? Future.succeededFuture(p)
        : Future.failedFuture(ApiException.forbidden("the tenant's IP allow-list does not include this address")));
  }

  /**
   * Resolves the request's credential: the Authorization header when there is one, else the
   * portal's session cookie, else 401. (The anti-CSRF check follows in {@link #admit}.)
   */
  public Future<Principal> authenticate(RoutingContext ctx) {
    String jwt = sessionToken(ctx);
    if (jwt == null) {
      return authenticate(ctx.request().headers().getAll(HttpHeaders.AUTHORIZATION));
    }
    if (jwt.length() > MAX_CREDENTIAL_LENGTH || !Tokens.looksLikeJwt(jwt)) {
      return unauthorized("invalid or expired token");
    }
    return token(jwt);
  }

  /** The session cookie the request is authenticated by, or null (an Authorization header wins). */
  private static String sessionToken(RoutingContext ctx) {
    if (!ctx.request().headers().getAll(HttpHeaders.AUTHORIZATION).isEmpty()) {
      return null;
    }
    io.vertx.core.http.Cookie session = ctx.request().getCookie(SessionCookies.SESSION);
    return session == null || session.getValue().isEmpty() ? null : session.getValue();
  }

  /** A state-changing call authenticated by the session cookie needs the anti-CSRF header bound to it. */
  private static Future<Void> checkCsrf(RoutingContext ctx) {
    String jwt = sessionToken(ctx);
    if (jwt == null || !SessionCookies.changesState(ctx.request().method())
        || SessionCookies.csrfMatches(jwt, ctx.request().getHeader(SessionCookies.CSRF_HEADER))) {
      return Future.succeededFuture();
    }
    return Future.failedFuture(ApiException.forbidden("a call authenticated by the session cookie that changes "
        + "something needs the " + SessionCookies.CSRF_HEADER + " header (the value of the "
        + SessionCookies.CSRF + " cookie)"));
  }

  /** Resolves the Authorization header(s) to a principal, or fails with 401. */
  public Future<Principal> authenticate(List<String> authorization) {
    if (authorization.size() != 1) {
      return unauthorized(authorization.isEmpty() ? "missing bearer credential" : "more than one Authorization header");
    }
    String header = authorization.get(0).trim();
    if (header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return unauthorized("missing bearer credential");
    }
    String credential = header.substring(7).trim();
    if (credential.isEmpty() || credential.length() > MAX_CREDENTIAL_LENGTH) {
      return unauthorized("invalid credential");
    }
    if (ApiKeys.looksLikeKey(credential)) {
      return apiKey(credential);
    }
    if (Tokens.looksLikeJwt(credential)) {
      return token(credential);
    }
    return operator(credential);
  }

  private Future<Principal> apiKey(String credential) {
    Optional<ApiKeys.Parsed> parsed = ApiKeys.parse(credential);
    if (parsed.isEmpty()) {
      return unauthorized("invalid credential");
    }
    String id = parsed.get().id();
    return keys.get(id, () -> store.apiKeys().find(id)).compose(found -> {
      if (found.isEmpty() || !ApiKeys.matches(parsed.get().secret(), found.get().secretHash())) {
        return unauthorized("invalid credential");
      }
      ApiKey k = found.get();
      return Future.succeededFuture(new Principal(Principal.Kind.API_KEY, k.tenant(), k.role(), k.id(), null, null));
    });
  }

  private Future<Principal> token(String jwt) {
    return tokens.verify(jwt).recover(e -> unauthorized("invalid or expired token")).compose(claims -> {
      UserRef user = new UserRef(claims.tenant(), claims.username());
      UserRef jti = new UserRef(claims.tenant(), claims.tokenId());
      Future<Optional<User>> u = users.get(user, () -> store.tenants().getUser(claims.tenant(), claims.username()))
          .compose(cached -> {
            // a token newer than what this node has cached was issued after a credentials change
            // (a password change answers with one at once): read the user again rather than refuse
            // it until this node's notice or the cache's TTL arrives
            if (cached.isPresent() && cached.get().credentialsVersion() < claims.credentialsVersion()) {
              users.invalidate(user);
              return users.get(user, () -> store.tenants().getUser(claims.tenant(), claims.username()));
            }
            return Future.succeededFuture(cached);
          });
      Future<Boolean> r = revoked.get(jti, () -> store.access()
          .getMarker(claims.tenant(), revokedMarker(claims.tokenId())).map(at -> at != null));
      return Future.all(u, r).compose(done -> {
        Optional<User> current = u.result();
        if (r.result() || current.isEmpty() || current.get().credentialsVersion() != claims.credentialsVersion()) {
          return unauthorized("invalid or expired token");
        }
        return Future.succeededFuture(new Principal(Principal.Kind.USER, claims.tenant(), current.get().role(),
            claims.username(), claims.tokenId(), claims.expiresAt()));
      });
    });
  }

  private Future<Principal> operator(String credential) {
    String configured = config.bootstrapToken();
    if (configured != null && MessageDigest.isEqual(configured.getBytes(StandardCharsets.UTF_8),
        credential.getBytes(StandardCharsets.UTF_8))) {
      return Future.succeededFuture(Principal.operator());
    }
    String marker = OperatorCredentials.markerName(credential);
    return operators.get(marker, () -> store.access().getMarker(null, marker).map(at -> at != null))
        .compose(ok -> ok ? Future.succeededFuture(Principal.operator()) : unauthorized("invalid credential"));
  }

  private Future<List<Cidr>> allowlist(String tenant) {
    return allowlists.get(tenant, () -> store.access().getAllowlist(tenant).map(AccessControl::parseAll));
  }

  private static List<Cidr> parseAll(List<String> stored) {
    List<Cidr> out = new ArrayList<>(stored.size());
    for (String s : stored) {
      out.add(Cidr.parse(s));
    }
    return List.copyOf(out);
  }

  private void forget(AccessChanged change) {
    switch (change.scope()) {
      case TOKEN -> revoked.invalidate(new UserRef(change.tenant(), change.id()));
      case USER -> users.invalidate(new UserRef(change.tenant(), change.id()));
      case API_KEY -> keys.invalidate(change.id());
      case ALLOWLIST -> allowlists.invalidate(change.tenant());
      case TENANT -> forgetAll();
    }
  }

  private void forgetAll() {
    keys.invalidateAll();
    users.invalidateAll();
    revoked.invalidateAll();
    allowlists.invalidateAll();
  }

  private static <T> Future<T> unauthorized(String detail) {
    return Future.failedFuture(new ApiException(ProblemType.UNAUTHORIZED, detail, List.of(), CHALLENGE));
  }
}
