package dev.kasoku.metrics;

import dev.kasoku.common.service.ServiceContext;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/**
 * Entry verticle of the metrics service, deployed by the launcher when this process runs the
 * metrics role. It reports itself in readiness once started; the service's capabilities are
 * added by their own issues.
 */
public final class MetricsVerticle extends VerticleBase {
  private final ServiceContext ctx;

  public MetricsVerticle(ServiceContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public Future<?> start() {
    ctx.health().register("role:metrics", Future::succeededFuture);
    return Future.succeededFuture();
  }
}
