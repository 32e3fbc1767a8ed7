package dev.kasoku.auth;

import dev.kasoku.common.service.ServiceContext;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/**
 * Entry verticle of the auth service, deployed by the launcher when this process runs the
 * auth role. It reports itself in readiness once started; the service's capabilities are
 * added by their own issues.
 */
public final class AuthVerticle extends VerticleBase {
  private final ServiceContext ctx;

  public AuthVerticle(ServiceContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public Future<?> start() {
    ctx.health().register("role:auth", Future::succeededFuture);
    return Future.succeededFuture();
  }
}
