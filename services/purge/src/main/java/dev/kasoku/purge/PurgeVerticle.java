package dev.kasoku.purge;

import dev.kasoku.common.service.ServiceContext;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/**
 * Entry verticle of the purge service, deployed by the launcher when this process runs the
 * purge role. It reports itself in readiness once started; the service's capabilities are
 * added by their own issues.
 */
public final class PurgeVerticle extends VerticleBase {
  private final ServiceContext ctx;

  public PurgeVerticle(ServiceContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public Future<?> start() {
    ctx.health().register("role:purge", Future::succeededFuture);
    return Future.succeededFuture();
  }
}
