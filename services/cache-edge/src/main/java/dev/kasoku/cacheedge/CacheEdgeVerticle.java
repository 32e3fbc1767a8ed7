package dev.kasoku.cacheedge;

import dev.kasoku.common.service.ServiceContext;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/**
 * Entry verticle of the cache-edge service, deployed by the launcher when this process runs the
 * cache-edge role. It reports itself in readiness once started; the service's capabilities are
 * added by their own issues.
 */
public final class CacheEdgeVerticle extends VerticleBase {
  private final ServiceContext ctx;

  public CacheEdgeVerticle(ServiceContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public Future<?> start() {
    ctx.health().register("role:cache-edge", Future::succeededFuture);
    return Future.succeededFuture();
  }
}
