package dev.kasoku.auth.impl;

import dev.kasoku.common.audit.AuditTrail;
import dev.kasoku.common.http.Replies;
import dev.kasoku.common.json.Timestamps;
import dev.kasoku.common.security.Caller;
import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages.AccessChanged;
import dev.kasoku.common.bus.Messages.AccessScope;
import dev.kasoku.common.http.ApiException;
import dev.kasoku.common.model.TenantRole;
import dev.kasoku.common.model.User;
import dev.kasoku.common.security.Principal;
import dev.kasoku.common.store.Store;
import dev.kasoku.common.store.TenantStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A tenant's users (admin only). Usernames are compared case-insensitively (stored in lower case).
 *
 * <p>A password change bumps the user's credentials version, which every token carries: tokens issued
 * before no longer verify. Deleting a user makes its tokens fail the user look-up. Either way an
 * {@link Addresses#ACCESS_CHANGED} notice makes every node see it at once; role changes too (the
 * gate uses the stored role, not the token's). A new user's credentials version starts at a random
 * value so a token of a deleted user can never match a later user of the same name.
 *
 * <p>The tenant's last admin user cannot be deleted or demoted (409). The store checks and writes
 * in one atomic step ({@code TenantStore#updateUserKeepingAnAdmin}), so two admins demoting or
 * deleting each other at the same instant cannot both succeed.
 */
public final class UserHandlers {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** POST .../users body. */
  public record CreateUser(String username, String password, String role) {
    @Override
    public String toString() {
      return "CreateUser[username=" + username + ", role=" + role + ", password=<hidden>]";
    }
  }

  /** PATCH .../users/{u} body: either or both. */
  public record UpdateUser(String password, String role) {
    @Override
    public String toString() {
      return "UpdateUser[role=" + role + ", password=" + (password == null ? "unchanged" : "<hidden>") + "]";
    }
  }

  private final Vertx vertx;
  private final Store store;
  private final PasswordHasher hasher;
  private final PasswordPolicy policy;
  private final AuditTrail audit;
  private final Clock clock;

  public UserHandlers(Vertx vertx, Store store, PasswordHasher hasher, PasswordPolicy policy, AuditTrail audit, Clock clock) {
    this.vertx = vertx;
    this.store = store;
    this.hasher = hasher;
    this.policy = policy;
    this.audit = audit;
    this.clock = clock;
  }

  public Future<?> list(RoutingContext ctx) {
    return store.tenants().listUsers(ctx.pathParam("t")).compose(users -> {
      JsonArray out = new JsonArray();
      users.forEach(u -> out.add(view(u)));
      return Replies.json(ctx, 200, new JsonObject().put("users", out));
    });
  }

  public Future<?> get(RoutingContext ctx) {
    return find(ctx).compose(u -> Replies.json(ctx, 200, view(u)));
  }

  public Future<?> create(RoutingContext ctx) {
    String tenant = ctx.pathParam("t");
    Caller caller = Caller.of(ctx);
    Principal p = caller.requirePrincipal();
    CreateUser req = Replies.body(ctx, CreateUser.class);
    String username = req.username().toLowerCase(Locale.ROOT);
    List<String> problems = policy.problems(username, req.password());
    if (!problems.isEmpty()) {
      return Future.failedFuture(ApiException.validation(problems));
    }
    TenantRole role = TenantRole.parse(req.role());
    return hasher.hash(req.password()).compose(hash -> {
      Instant now = clock.instant();
      User user = new User(tenant, username, role, hash, RANDOM.nextLong() & Long.MAX_VALUE, now, now);
      return store.tenants().createUser(user).compose(created -> {
        if (!created) {
          audit.record(caller, tenant, "user.create", username, "failure:exists");
          return Future.failedFuture(ApiException.conflict("user '" + username + "' exists"));
        }
        audit.record(caller, tenant, "user.create", username, AuditTrail.SUCCESS + ":role=" + role.id());
        return Replies.json(ctx, 201, view(user));
      });
    });
  }

  public Future<?> update(RoutingContext ctx) {
    Caller caller = Caller.of(ctx);
    Principal p = caller.requirePrincipal();
    UpdateUser req = Replies.body(ctx, UpdateUser.class);
    return find(ctx).compose(user -> {
      TenantRole role = req.role() == null ? user.role() : TenantRole.parse(req.role());
      Future<Optional<String>> newHash;
      if (req.password() == null) {
        newHash = Future.succeededFuture(Optional.empty());
      } else {
        List<String> problems = policy.problems(user.username(), req.password());
        if (!problems.isEmpty()) {
          return Future.failedFuture(ApiException.validation(problems));
        }
        newHash = hasher.hash(req.password()).map(Optional::of);
      }
      return newHash.compose(hash -> {
        User updated = new User(user.tenant(), user.username(), role, hash.orElse(user.passwordHash()),
            hash.isPresent() ? user.credentialsVersion() + 1 : user.credentialsVersion(), user.createdAt(),
            clock.instant());
        return store.tenants().updateUserKeepingAnAdmin(updated).compose(outcome -> {
          if (outcome != TenantStore.AdminGuard.DONE) {
            return Future.failedFuture(refused(user, outcome));
          }
          changed(user);
          String what = (req.role() != null ? "role=" + role.id() : "") + (hash.isPresent() ? " password" : "");
          audit.record(caller, user.tenant(), "user.update", user.username(), AuditTrail.SUCCESS + ":" + what.trim());
          return Replies.json(ctx, 200, view(updated));
        });
      });
    });
  }

  public Future<?> delete(RoutingContext ctx) {
    Caller caller = Caller.of(ctx);
    Principal p = caller.requirePrincipal();
    return find(ctx).compose(user -> store.tenants().deleteUserKeepingAnAdmin(user.tenant(), user.username())
        .compose(outcome -> {
          if (outcome != TenantStore.AdminGuard.DONE) {
            return Future.failedFuture(refused(user, outcome));
          }
          changed(user);
          audit.record(caller, user.tenant(), "user.delete", user.username(), AuditTrail.SUCCESS);
          return Replies.noContent(ctx);
        }));
  }

  private Future<User> find(RoutingContext ctx) {
    String tenant = ctx.pathParam("t");
    String username = ctx.pathParam("u").toLowerCase(Locale.ROOT);
    return store.tenants().getUser(tenant, username).compose(u -> u.isPresent()
        ? Future.succeededFuture(u.get())
        : Future.failedFuture(ApiException.notFound("no such user")));
  }

  private static ApiException refused(User user, TenantStore.AdminGuard outcome) {
    return outcome == TenantStore.AdminGuard.LAST_ADMIN
        ? ApiException.conflict("'" + user.username() + "' is the tenant's last admin")
        : ApiException.notFound("no such user");
  }

  private void changed(User user) {
    Addresses.ACCESS_CHANGED.publish(vertx.eventBus(), new AccessChanged(AccessScope.USER, user.tenant(), user.username()));
  }

  static JsonObject view(User u) {
    return new JsonObject()
        .put("username", u.username())
        .put("role", u.role().id())
        .put("createdAt", Timestamps.format(u.createdAt()))
        .put("updatedAt", Timestamps.format(u.updatedAt()));
  }
}
