package dev.kasoku.auth.impl;

import dev.kasoku.common.audit.AuditTrail;
import dev.kasoku.common.http.Replies;
import dev.kasoku.common.json.Timestamps;
import dev.kasoku.common.security.Caller;
import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages.AccessChanged;
import dev.kasoku.common.bus.Messages.AccessScope;
import dev.kasoku.common.http.ApiException;
import dev.kasoku.common.model.ApiKey;
import dev.kasoku.common.model.TenantRole;
import dev.kasoku.common.security.ApiKeys;
import dev.kasoku.common.security.Principal;
import dev.kasoku.common.store.Store;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;

/**
 * A tenant's API keys (admin only): created with a role, the key shown once in the creation answer
 * and stored only as a hash ({@link ApiKeys}); listed without secrets; revoked at once on every node
 * by deleting ({@link Addresses#ACCESS_CHANGED}).
 */
public final class ApiKeyHandlers {
  /** POST .../api-keys body. */
  public record CreateKey(String name, String role) {}

  private final Vertx vertx;
  private final Store store;
  private final AuditTrail audit;
  private final Clock clock;

  public ApiKeyHandlers(Vertx vertx, Store store, AuditTrail audit, Clock clock) {
    this.vertx = vertx;
    this.store = store;
    this.audit = audit;
    this.clock = clock;
  }

  public Future<?> list(RoutingContext ctx) {
    return store.apiKeys().list(ctx.pathParam("t")).compose(keys -> {
      JsonArray out = new JsonArray();
      keys.forEach(k -> out.add(view(k)));
      return Replies.json(ctx, 200, new JsonObject().put("apiKeys", out));
    });
  }

  public Future<?> create(RoutingContext ctx) {
    String tenant = ctx.pathParam("t");
    Caller caller = Caller.of(ctx);
    Principal p = caller.requirePrincipal();
    CreateKey req = Replies.body(ctx, CreateKey.class);
    ApiKeys.Generated key = ApiKeys.generate(tenant, req.name(), TenantRole.parse(req.role()), clock.instant());
    return store.apiKeys().create(key.stored()).compose(created -> {
      if (!created) {
        // 16 random characters collided: astronomically unlikely, but never overwrite another key
        return Future.failedFuture(new IllegalStateException("generated API key id collided"));
      }
      audit.record(caller, tenant, "api-key.create", key.stored().id(), AuditTrail.SUCCESS + ":role=" + req.role());
      return Replies.json(ctx, 201, view(key.stored()).put("key", key.key()));
    });
  }

  public Future<?> delete(RoutingContext ctx) {
    String tenant = ctx.pathParam("t");
    String id = ctx.pathParam("k");
    Caller caller = Caller.of(ctx);
    Principal p = caller.requirePrincipal();
    return store.apiKeys().delete(tenant, id).compose(deleted -> {
      if (!deleted) {
        return Future.failedFuture(ApiException.notFound("no such API key"));
      }
      Addresses.ACCESS_CHANGED.publish(vertx.eventBus(), new AccessChanged(AccessScope.API_KEY, tenant, id));
      audit.record(caller, tenant, "api-key.delete", id, AuditTrail.SUCCESS);
      return Replies.noContent(ctx);
    });
  }

  static JsonObject view(ApiKey k) {
    return new JsonObject()
        .put("id", k.id())
        .put("name", k.name())
        .put("role", k.role().id())
        .put("prefix", ApiKeys.PREFIX + k.id())
        .put("createdAt", Timestamps.format(k.createdAt()));
  }
}
