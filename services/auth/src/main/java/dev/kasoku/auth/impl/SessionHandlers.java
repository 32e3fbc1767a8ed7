package dev.kasoku.auth.impl;

import dev.kasoku.common.audit.AuditTrail;
import dev.kasoku.common.http.Replies;
import dev.kasoku.common.json.Timestamps;
import dev.kasoku.common.security.Caller;
import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages.AccessChanged;
import dev.kasoku.common.bus.Messages.AccessScope;
import dev.kasoku.common.http.ApiException;
import dev.kasoku.common.http.ProblemType;
import dev.kasoku.common.model.User;
import dev.kasoku.common.security.AccessControl;
import dev.kasoku.common.net.Cidr;
import dev.kasoku.common.security.Principal;
import dev.kasoku.common.security.SessionCookies;
import dev.kasoku.common.security.SourceAddress;
import dev.kasoku.common.security.Tokens;
import dev.kasoku.common.store.Store;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Login and logout, with the token in the answer (API clients) or in the portal's session cookie.
 *
 * <p>Login answers one 401 for every way it can fail — unknown tenant, unknown user, wrong password,
 * source outside the tenant's allow-list — and takes comparable time for all of them: when there is
 * no user, a dummy hash with the same parameters is verified instead, so the Argon2 cost is always
 * paid. Lockout ({@link LoginThrottle}) is checked first and answers 429 without evaluating the
 * password. A hash made with older parameters is upgraded after a successful login.
 *
 * <p>Logout writes a revocation marker for the token's id (in the tenant's namespace, expiring with
 * the token) and publishes {@link Addresses#ACCESS_CHANGED} so every node refuses the token at once.
 *
 * <p>A user's own password change ({@code POST /v1/auth/password}) needs the current password,
 * checked like a login: a wrong one counts toward the same lockout (a stolen session must not turn
 * into unlimited password guessing), and a locked-out user gets 429 whatever the password. The new
 * password passes the same policy as one an admin sets. The change bumps the user's credentials
 * version, so every token of the user, on every node, stops verifying — other sessions and logins
 * elsewhere end — and the caller gets a new token at once, in the session cookie when the call came
 * with it (the portal stays logged in), in the body otherwise.
 */
public final class SessionHandlers {
  static final String LOGIN_FAILED = "invalid tenant, username or password";
  private static final System.Logger LOG = System.getLogger(SessionHandlers.class.getName());

  /** POST /v1/auth/login body. */
  public record Login(String tenant, String username, String password) {
    @Override
    public String toString() {
      return "Login[tenant=" + tenant + ", username=" + username + ", password=<hidden>]";
    }
  }

  /** POST /v1/auth/password body. */
  public record ChangePassword(String currentPassword, String newPassword) {
    @Override
    public String toString() {
      return "ChangePassword[<hidden>]";
    }
  }

  private final Vertx vertx;
  private final Store store;
  private final AccessControl access;
  private final PasswordHasher hasher;
  private final PasswordPolicy policy;
  private final LoginThrottle throttle;
  private final AuditTrail audit;
  private final Clock clock;
  private final Future<String> dummyHash;
  private final List<Cidr> trustedProxies;

  public SessionHandlers(Vertx vertx, Store store, AccessControl access, PasswordHasher hasher,
                         PasswordPolicy policy, LoginThrottle throttle, AuditTrail audit, Clock clock, Future<String> dummyHash,
                         List<Cidr> trustedProxies) {
    this.vertx = vertx;
    this.store = store;
    this.access = access;
    this.hasher = hasher;
    this.policy = policy;
    this.throttle = throttle;
    this.audit = audit;
    this.clock = clock;
    this.dummyHash = dummyHash;
    this.trustedProxies = trustedProxies;
  }

  /** POST /v1/auth/login: the token in the answer's body. */
  public Future<?> login(RoutingContext ctx) {
    return login(ctx, false);
  }

  /**
   * POST /v1/auth/session: the same login, but the token goes into the portal's HttpOnly session
   * cookie ({@link SessionCookies}) and the body carries only who logged in and the anti-CSRF value.
   */
  public Future<?> createSession(RoutingContext ctx) {
    return login(ctx, true);
  }

  /** GET /v1/auth/session: who the presented login (cookie or bearer token) is, for the portal. */
  public Future<?> session(RoutingContext ctx) {
    Principal p = Caller.of(ctx).requirePrincipal();
    if (p.kind() != Principal.Kind.USER) {
      return Future.failedFuture(ApiException.badRequest("no login session: this credential is "
          + (p.kind() == Principal.Kind.API_KEY ? "an API key" : "the operator credential")));
    }
    return Replies.json(ctx, 200, new JsonObject()
        .put("tenant", p.tenant())
        .put("username", p.id())
        .put("role", p.role().id())
        .put("expiresAt", Timestamps.format(p.expiresAt())));
  }

  private Future<?> login(RoutingContext ctx, boolean cookie) {
    Login req = Replies.body(ctx, Login.class);
    String tenant = req.tenant();
    String username = req.username().toLowerCase(Locale.ROOT);
    String source = Caller.of(ctx).sourceIp();
    String actor = "user:" + username;
    return store.tenants().getTenant(tenant).compose(t -> {
      LoginThrottle.Subject subject = LoginThrottle.Subject.of(tenant, t.isPresent(), username, source);
      return throttle.lockedFor(subject).compose(locked -> {
        if (!locked.isZero()) {
          audit.recordAs(actor, Caller.of(ctx), tenant, "auth.login", username, "failure:locked");
          return Future.failedFuture(lockedOut(locked));
        }
        Future<Optional<User>> user = t.isPresent()
            ? store.tenants().getUser(tenant, username)
            : Future.succeededFuture(Optional.empty());
        return user.compose(u -> checkPassword(req.password(), u)
            .compose(ok -> ok ? access.allowed(tenant, source).map(ip -> ip ? "ok" : "failure:ip-not-allowed")
                : Future.succeededFuture("failure:credentials"))
            .compose(outcome -> "ok".equals(outcome)
                ? succeed(ctx, subject, u.get(), req.password(), cookie)
                : fail(ctx, subject, actor, tenant, username, outcome)));
      });
    });
  }

  public Future<?> logout(RoutingContext ctx) {
    Caller caller = Caller.of(ctx);
    Principal p = caller.requirePrincipal();
    if (p.kind() != Principal.Kind.USER) {
      return Future.failedFuture(ApiException.badRequest("logout ends a login token; an API key is revoked with "
          + "DELETE /v1/tenants/{t}/api-keys/{k}"));
    }
    return store.access().putMarker(p.tenant(), AccessControl.revokedMarker(p.tokenId()), p.expiresAt())
        .compose(v -> {
          Addresses.ACCESS_CHANGED.publish(vertx.eventBus(), new AccessChanged(AccessScope.TOKEN, p.tenant(), p.tokenId()));
          audit.record(caller, p.tenant(), "auth.logout", p.tokenId(), AuditTrail.SUCCESS);
          if (ctx.request().getCookie(SessionCookies.SESSION) != null) {
            SessionCookies.clear(ctx.response(), secure(ctx));
          }
          return Replies.noContent(ctx);
        });
  }

  /**
   * POST /v1/auth/password: the logged-in user changes their own password (see the class comment).
   * 400 for an API key or the operator, and with the problems of a wrong current password or a new
   * password the policy refuses; 429 while the user is locked out; 409 when the user changed at the
   * same time (an admin's PATCH).
   */
  public Future<?> changePassword(RoutingContext ctx) {
    Caller caller = Caller.of(ctx);
    Principal p = caller.requirePrincipal();
    if (p.kind() != Principal.Kind.USER) {
      return Future.failedFuture(ApiException.badRequest("a password belongs to a user's login; this credential is "
          + (p.kind() == Principal.Kind.API_KEY ? "an API key" : "the operator credential")));
    }
    ChangePassword req = Replies.body(ctx, ChangePassword.class);
    List<String> problems = new ArrayList<>();
    for (String problem : policy.problems(p.id(), req.newPassword())) {
      problems.add(problem.replaceFirst("^password:", "newPassword:"));
    }
    if (req.newPassword().equals(req.currentPassword())) {
      problems.add("newPassword: must differ from the current password");
    }
    LoginThrottle.Subject subject = LoginThrottle.Subject.of(p.tenant(), true, p.id(), caller.sourceIp());
    return throttle.lockedFor(subject).compose(locked -> {
      if (!locked.isZero()) {
        audit.record(caller, p.tenant(), "auth.password.change", p.id(), "failure:locked");
        return Future.failedFuture(lockedOut(locked));
      }
      return store.tenants().getUser(p.tenant(), p.id()).compose(found -> {
        if (found.isEmpty()) {
          return Future.failedFuture(ApiException.unauthorized("invalid or expired token"));
        }
        User user = found.get();
        return hasher.verify(req.currentPassword(), user.passwordHash()).compose(ok -> {
          if (!ok) {
            return throttle.failed(subject).transform(counted -> {
              audit.record(caller, p.tenant(), "auth.password.change", p.id(), "failure:current-password");
              return Future.failedFuture(ApiException.validation(
                  List.of("currentPassword: is not the current password")));
            });
          }
          if (!problems.isEmpty()) {
            audit.record(caller, p.tenant(), "auth.password.change", p.id(), "failure:policy");
            return Future.failedFuture(ApiException.validation(problems));
          }
          return hasher.hash(req.newPassword()).compose(hash -> {
            User updated = new User(user.tenant(), user.username(), user.role(), hash,
                user.credentialsVersion() + 1, user.createdAt(), clock.instant());
            return store.tenants().replaceUser(user, updated).compose(replaced -> {
              if (!replaced) {
                return Future.failedFuture(ApiException.conflict("the user changed meanwhile; try again"));
              }
              Addresses.ACCESS_CHANGED.publish(vertx.eventBus(),
                  new AccessChanged(AccessScope.USER, user.tenant(), user.username()));
              audit.record(caller, p.tenant(), "auth.password.change", p.id(), AuditTrail.SUCCESS);
              return throttle.succeeded(subject)
                  .compose(v -> access.tokens().issue(updated.tenant(), updated.username(), updated.role(),
                      updated.credentialsVersion()))
                  .compose(issued -> answerWithToken(ctx, updated, issued, cameWithCookie(ctx)));
            });
          });
        });
      });
    });
  }

  /** The call was authenticated by the portal's session cookie (no Authorization header, which wins). */
  private static boolean cameWithCookie(RoutingContext ctx) {
    return ctx.request().getHeader("Authorization") == null && ctx.request().getCookie(SessionCookies.SESSION) != null;
  }

  private boolean secure(RoutingContext ctx) {
    return SessionCookies.overTls(ctx.request(), SourceAddress.fromTrustedProxy(ctx.request(), trustedProxies));
  }

  private Future<Boolean> checkPassword(String password, Optional<User> user) {
    if (user.isPresent()) {
      return hasher.verify(password, user.get().passwordHash());
    }
    // same work as for a real user, result thrown away: timing does not reveal which users exist
    return dummyHash.compose(h -> hasher.verify(password, h)).map(ignored -> false);
  }

  private Future<Void> succeed(RoutingContext ctx, LoginThrottle.Subject subject, User user, String password,
                               boolean cookie) {
    if (hasher.needsRehash(user.passwordHash())) {
      upgradeHash(user, password);
    }
    return throttle.succeeded(subject)
        .compose(v -> access.tokens().issue(user.tenant(), user.username(), user.role(), user.credentialsVersion()))
        .compose(issued -> {
          audit.recordAs("user:" + user.username(), Caller.of(ctx), user.tenant(), "auth.login", user.username(),
              AuditTrail.SUCCESS);
          return answerWithToken(ctx, user, issued, cookie);
        });
  }

  /** A new token: in the session cookie (the body says who and the anti-CSRF value), or in the body. */
  private Future<Void> answerWithToken(RoutingContext ctx, User user, Tokens.Issued issued, boolean cookie) {
    if (cookie) {
      Duration ttl = Duration.between(clock.instant(), issued.expiresAt());
      SessionCookies.set(ctx.response(), issued.token(), ttl.isNegative() ? Duration.ZERO : ttl, secure(ctx));
      return Replies.json(ctx, 200, new JsonObject()
          .put("tenant", user.tenant())
          .put("username", user.username())
          .put("role", user.role().id())
          .put("expiresAt", Timestamps.format(issued.expiresAt()))
          .put("csrfToken", SessionCookies.csrfToken(issued.token())));
    }
    return Replies.json(ctx, 200, new JsonObject()
        .put("token", issued.token())
        .put("tokenType", "Bearer")
        .put("expiresAt", Timestamps.format(issued.expiresAt()))
        .put("expiresIn", Tokens.TTL.toSeconds()));
  }

  private Future<Void> fail(RoutingContext ctx, LoginThrottle.Subject subject, String actor, String tenant,
                            String username, String outcome) {
    return throttle.failed(subject).transform(counted -> {
      if (counted.failed()) {
        LOG.log(System.Logger.Level.WARNING, "could not count a failed login for tenant " + tenant, counted.cause());
      }
      audit.recordAs(actor, Caller.of(ctx), tenant, "auth.login", username, outcome);
      return Future.failedFuture(ApiException.unauthorized(LOGIN_FAILED));
    });
  }

  /**
   * Re-hashes a password stored with older parameters. Compare-and-set: if the user changed while
   * the hash was computed (an admin changed the role or the password), the upgrade is dropped rather
   * than writing back what was read before (it happens again at the next login).
   */
  private void upgradeHash(User user, String password) {
    hasher.hash(password)
        .compose(h -> store.tenants().replaceUser(user, new User(user.tenant(), user.username(), user.role(), h,
            user.credentialsVersion(), user.createdAt(), clock.instant())))
        .onFailure(e -> LOG.log(System.Logger.Level.WARNING, "could not upgrade the password hash of a user of tenant "
            + user.tenant(), e));
  }

  private static ApiException lockedOut(Duration left) {
    long seconds = Math.max(1, (left.toMillis() + 999) / 1000);
    return new ApiException(ProblemType.TOO_MANY_REQUESTS,
        "too many failed logins; try again in " + seconds + " s", List.of(),
        Map.of("Retry-After", Long.toString(seconds)));
  }
}
