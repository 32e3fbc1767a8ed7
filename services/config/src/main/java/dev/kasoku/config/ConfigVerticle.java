package dev.kasoku.config;

import dev.kasoku.common.service.ServiceContext;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/**
 * Entry verticle of the config service, deployed by the launcher when this process runs the
 * config role. It reports itself in readiness once started; the service's capabilities are
 * added by their own issues.
 */
public final class ConfigVerticle extends VerticleBase {
  private final ServiceContext ctx;

  public ConfigVerticle(ServiceContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public Future<?> start() {
    ctx.health().register("role:config", Future::succeededFuture);
    return Future.succeededFuture();
  }
}
