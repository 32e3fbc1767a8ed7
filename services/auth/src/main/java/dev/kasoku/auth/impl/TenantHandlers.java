package dev.kasoku.auth.impl;

import dev.kasoku.common.audit.AuditTrail;
import dev.kasoku.common.http.Replies;
import dev.kasoku.common.json.Timestamps;
import dev.kasoku.common.security.Caller;
import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages.AccessChanged;
import dev.kasoku.common.bus.Messages.AccessScope;
import dev.kasoku.common.bus.Messages.TenantDeleted;
import dev.kasoku.common.http.ApiException;
import dev.kasoku.common.model.Ids;
import dev.kasoku.common.model.Tenant;
import dev.kasoku.common.model.TenantRole;
import dev.kasoku.common.security.AccessControl;
import dev.kasoku.common.security.ApiKeys;
import dev.kasoku.common.security.Principal;
import dev.kasoku.common.store.Store;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * Tenant lifecycle (operator only): creation hands out the tenant's first admin credential once;
 * deletion publishes {@link Addresses#TENANT_DELETED}, on which every service erases its part and
 * this one erases the tenant's users, keys, allow-list and access state ({@link #erase}).
 */
public final class TenantHandlers {
  public static final String DEFAULT_PLAN = "standard";
  public static final String INITIAL_KEY_NAME = "initial admin key";
  private static final System.Logger LOG = System.getLogger(TenantHandlers.class.getName());
  private static final int ERASE_ATTEMPTS = 3;
  private static final long ERASE_RETRY_MS = 1000;

  /** POST /v1/tenants body. */
  public record CreateTenant(String name, String plan, String id) {}

  private final Vertx vertx;
  private final Store store;
  private final AuditTrail audit;
  private final Clock clock;

  public TenantHandlers(Vertx vertx, Store store, AuditTrail audit, Clock clock) {
    this.vertx = vertx;
    this.store = store;
    this.audit = audit;
    this.clock = clock;
  }

  public Future<?> create(RoutingContext ctx) {
    CreateTenant req = Replies.body(ctx, CreateTenant.class);
    Caller caller = Caller.of(ctx);
    Principal p = caller.requirePrincipal();
    Instant now = clock.instant();
    String id = req.id() != null ? req.id() : slug(req.name()) + "-" + Ids.random(6);
    Tenant tenant = new Tenant(id, req.name(), req.plan() != null ? req.plan() : DEFAULT_PLAN, List.of(), now);
    ApiKeys.Generated key = ApiKeys.generate(id, INITIAL_KEY_NAME, TenantRole.ADMIN, now);
    return store.tenants().createTenant(tenant)
        .compose(created -> created
            ? store.apiKeys().create(key.stored()).recover(e -> undo(id, e))
            : Future.failedFuture(ApiException.conflict("tenant id '" + id + "' is taken")))
        .compose(stored -> stored
            ? Future.succeededFuture()
            : undo(id, new IllegalStateException("generated API key id collided")))
        .onFailure(e -> audit.record(caller, id, "tenant.create", id, "failure"))
        .compose(v -> {
          audit.record(caller, id, "tenant.create", id, AuditTrail.SUCCESS);
          return Replies.json(ctx, 201, new JsonObject()
              .put("id", id)
              .put("name", tenant.name())
              .put("plan", tenant.plan())
              .put("createdAt", Timestamps.format(now))
              .put("adminApiKey", key.key())
              .put("adminApiKeyId", key.stored().id()));
        });
  }

  /**
   * GET /v1/tenants/{t}/account (viewer and up): what the tenant contracted and where its data is
   * kept — the plan (service code), the enabled features, the deployment's region label and the
   * kind of storage of each kind of data (never an internal address).
   */
  public Future<?> account(RoutingContext ctx, String region, boolean redisStore) {
    String id = ctx.pathParam("t");
    return store.tenants().getTenant(id).compose(found -> {
      if (found.isEmpty()) {
        return Future.failedFuture(AccessControl.noSuchTenant());
      }
      Tenant t = found.get();
      String store = redisStore ? "redis" : "embedded";
      JsonArray kinds = new JsonArray()
          .add(new JsonObject().put("data", "account").put("storage", store))
          .add(new JsonObject().put("data", "config").put("storage", store))
          .add(new JsonObject().put("data", "stats").put("storage", store))
          .add(new JsonObject().put("data", "audit").put("storage", store))
          .add(new JsonObject().put("data", "accessLogs").put("storage", "log-volumes"))
          .add(new JsonObject().put("data", "cachedObjects").put("storage", "edge-memory"));
      return Replies.json(ctx, 200, new JsonObject()
          .put("id", t.id())
          .put("name", t.name())
          .put("plan", t.plan())
          .put("features", new JsonArray(t.features()))
          .put("createdAt", Timestamps.format(t.createdAt()))
          .put("dataLocation", new JsonObject().put("region", region).put("store", store).put("kinds", kinds)));
    });
  }

  public Future<?> delete(RoutingContext ctx) {
    String id = ctx.pathParam("t");
    Caller caller = Caller.of(ctx);
    Principal p = caller.requirePrincipal();
    return store.tenants().getTenant(id).compose(found -> {
      if (found.isEmpty()) {
        return Future.failedFuture(AccessControl.noSuchTenant());
      }
      Addresses.TENANT_DELETED.publish(vertx.eventBus(), new TenantDeleted(id));
      audit.record(caller, id, "tenant.delete", id, AuditTrail.SUCCESS);
      return Replies.json(ctx, 202, new JsonObject().put("id", id).put("status", "erasing"));
    });
  }

  /**
   * Consumer of {@link Addresses#TENANT_DELETED}: erases everything the store holds of the tenant,
   * then tells every node to drop what it cached of it. Retried a few times; a final failure is
   * logged with the tenant id so an operator can repeat the deletion.
   */
  public Future<Void> erase(String tenant) {
    return erase(tenant, 1);
  }

  private Future<Void> erase(String tenant, int attempt) {
    return store.eraseTenant(tenant)
        .onSuccess(v -> Addresses.ACCESS_CHANGED.publish(vertx.eventBus(), new AccessChanged(AccessScope.TENANT, tenant, null)))
        .recover(e -> {
          if (attempt >= ERASE_ATTEMPTS) {
            LOG.log(System.Logger.Level.ERROR, "erasing tenant " + tenant + " failed after " + attempt
                + " attempts; delete it again to retry", e);
            return Future.failedFuture(e);
          }
          LOG.log(System.Logger.Level.WARNING, "erasing tenant " + tenant + " failed (attempt " + attempt
              + "), retrying: " + e);
          return vertx.timer(ERASE_RETRY_MS * attempt).compose(t -> erase(tenant, attempt + 1));
        });
  }

  private <T> Future<T> undo(String id, Throwable cause) {
    return store.eraseTenant(id).transform(ignored -> Future.failedFuture(cause));
  }

  /** A readable id stem from a display name: [a-z0-9-], at most 40 characters. */
  static String slug(String name) {
    String s = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-+|-+$", "");
    if (s.length() > 40) {
      s = s.substring(0, 40).replaceAll("-+$", "");
    }
    return s.isEmpty() ? "t" : s;
  }
}
