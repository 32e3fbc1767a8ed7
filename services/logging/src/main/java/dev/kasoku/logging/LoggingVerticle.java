package dev.kasoku.logging;

import dev.kasoku.common.service.ServiceContext;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/**
 * Entry verticle of the logging service, deployed by the launcher when this process runs the
 * logging role. It reports itself in readiness once started; the service's capabilities are
 * added by their own issues.
 */
public final class LoggingVerticle extends VerticleBase {
  private final ServiceContext ctx;

  public LoggingVerticle(ServiceContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public Future<?> start() {
    ctx.health().register("role:logging", Future::succeededFuture);
    return Future.succeededFuture();
  }
}
