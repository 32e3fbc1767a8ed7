package dev.kasoku.portal;

import dev.kasoku.common.service.ServiceContext;
import dev.kasoku.portal.impl.PortalAssets;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;

/**
 * Entry verticle of the portal role: the customers' web portal (docs/portal.md), plain JavaScript
 * modules and CSS from this jar (and uPlot from its webjar) served under {@value PortalAssets#PREFIX}
 * on the API port, the same origin as the API it calls with the session cookie. It serves files
 * only: every call the pages make goes to the contract's operations, through the same access gate
 * as any API client.
 *
 * <p>Every answer under {@value PortalAssets#PREFIX} carries the strict {@link PortalAssets#CSP}
 * (no inline script, no other origin, {@code frame-ancestors 'none'}),
 * {@code X-Content-Type-Options: nosniff}, {@code Referrer-Policy: no-referrer} and
 * {@code X-Frame-Options: DENY}.
 */
public final class PortalVerticle extends VerticleBase {
  private final ServiceContext ctx;

  public PortalVerticle(ServiceContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public Future<?> start() {
    PortalAssets assets = new PortalAssets(vertx, PortalVerticle.class.getClassLoader());
    Router extra = ctx.api().extra();
    // Vert.x matches "/portal" for "/portal/" too: only the bare path is redirected
    extra.route("/portal").handler(rc -> {
      if (!rc.request().path().equals("/portal")) {
        rc.next();
        return;
      }
      PortalAssets.secure(rc.response());
      rc.response().setStatusCode(301).putHeader("Location", PortalAssets.PREFIX).end();
    });
    extra.route(PortalAssets.PREFIX + "*").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(assets::serve);
    extra.route(PortalAssets.PREFIX + "*").handler(rc -> {
      PortalAssets.secure(rc.response());
      rc.response().setStatusCode(405).putHeader("Allow", "GET, HEAD").end();
    });
    return assets.load().onSuccess(v -> ctx.health().register("role:portal", assets::check));
  }
}
