package dev.kasoku.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kasoku.common.audit.AuditTrail;
import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages;
import dev.kasoku.common.http.ApiException;
import dev.kasoku.common.http.Replies;
import dev.kasoku.common.net.OriginAddressPolicy;
import dev.kasoku.common.security.Caller;
import dev.kasoku.common.service.ServiceContext;
import dev.kasoku.common.store.NotificationStore;
import dev.kasoku.common.tls.SiteKeys;
import dev.kasoku.config.impl.SiteDocuments;
import dev.kasoku.config.impl.SiteService;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Function;

/**
 * Entry verticle of the config service: customers' site configuration (the site
 * endpoints of docs/openapi.yaml).
 *
 * <p>It attaches handlers to the contract's site and notification operations (the contract has
 * already validated the request's shape; {@link SiteDocuments} checks the meaning) and erases a
 * deleted tenant's sites. All state is in the store, so any number of instances can run side by
 * side; edges learn of changes from {@code kasoku.config.changed} and the store's change epoch.
 */
public final class ConfigVerticle extends VerticleBase {
  private static final System.Logger LOG = System.getLogger(ConfigVerticle.class.getName());
  /** Notifications returned by one call (the store keeps up to {@link NotificationStore#MAX_ENTRIES}). */
  public static final int NOTIFICATION_PAGE = 100;

  private final ServiceContext ctx;

  public ConfigVerticle(ServiceContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public Future<?> start() {
    // the sealing key derives from the master secret, which in dev mode is read from a file
    return vertx.executeBlocking(() -> SiteKeys.sealer(ctx.config())).compose(sealer -> {
      SiteDocuments documents = new SiteDocuments(
          new OriginAddressPolicy(ctx.config().allowedOriginNetworks()), sealer, ctx.clock());
      SiteService sites = new SiteService(ctx.store(), vertx.eventBus(), documents,
          new AuditTrail(vertx.eventBus(), ctx.clock()), ctx.clock());

      ctx.api().operation("listSites").addHandler(json(rc -> sites.list(tenant(rc)), 200));
      ctx.api().operation("getSite").addHandler(json(rc -> sites.get(tenant(rc), site(rc)), 200));
      ctx.api().operation("putSite").addHandler(json(rc ->
          sites.put(tenant(rc), site(rc), body(rc), caller(rc)), 200));
      ctx.api().operation("deleteSite").addHandler(rc -> sites.delete(tenant(rc), site(rc), caller(rc))
          .compose(v -> Replies.noContent(rc))
          .onFailure(rc::fail));
      ctx.api().operation("listSiteVersions").addHandler(json(rc -> sites.versions(tenant(rc), site(rc)), 200));
      ctx.api().operation("restoreSiteVersion").addHandler(json(rc ->
          sites.restore(tenant(rc), site(rc), versionParam(rc), caller(rc)), 200));
      ctx.api().operation("listNotifications").addHandler(json(rc ->
          sites.notifications(tenant(rc), NOTIFICATION_PAGE), 200));

      MessageConsumer<Messages.TenantDeleted> tenantDeleted = Addresses.TENANT_DELETED.consumer(vertx.eventBus(), msg -> sites.eraseTenant(msg.body().tenant())
              .onSuccess(n -> LOG.log(System.Logger.Level.INFO, "tenant " + msg.body().tenant() + ": "
                  + n + " sites erased"))
              .onFailure(e -> LOG.log(System.Logger.Level.ERROR, "tenant " + msg.body().tenant()
                  + ": site erasure failed", e)));

      ctx.health().register("role:config", Future::succeededFuture);
      return tenantDeleted.completion();
    });
  }

  private static Handler<RoutingContext> json(Function<RoutingContext, Future<? extends JsonNode>> op, int status) {
    return rc -> {
      Future<? extends JsonNode> result;
      try {
        result = op.apply(rc);
      } catch (RuntimeException e) {
        result = Future.failedFuture(e);
      }
      result.compose(body -> Replies.json(rc, status, body)).onFailure(rc::fail);
    };
  }

  private static String tenant(RoutingContext rc) {
    return rc.pathParam("t");
  }

  private static String site(RoutingContext rc) {
    return rc.pathParam("s");
  }

  private static long versionParam(RoutingContext rc) {
    try {
      return Long.parseLong(rc.pathParam("n"));
    } catch (NumberFormatException e) {
      throw ApiException.badRequest("version must be a positive integer");
    }
  }

  private static JsonNode body(RoutingContext rc) {
    return Replies.bodyTree(rc);
  }

  private static Caller caller(RoutingContext rc) {
    return Caller.of(rc);
  }
}
