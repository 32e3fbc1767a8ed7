package dev.kasoku.metrics.impl;

import dev.kasoku.common.http.Replies;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Supplier;

/**
 * HTTP of the metrics operations: {@code GET /v1/tenants/{t}/stats} and
 * {@code GET /v1/tenants/{t}/usage}. The access gate has already checked the caller (viewer of the
 * tenant or stronger); {@link StatsService} checks the parameters' meaning.
 */
public final class StatsHandlers {
  private final StatsService service;

  public StatsHandlers(StatsService service) {
    this.service = service;
  }

  public void stats(RoutingContext rc) {
    var q = rc.queryParams();
    answer(rc, () -> service.stats(rc.pathParam("t"), q.get("from"), q.get("to"), q.get("step"), q.get("site"),
        q.get("fields")));
  }

  public void usage(RoutingContext rc) {
    answer(rc, () -> service.usage(rc.pathParam("t"), rc.queryParams().get("month")));
  }

  private static void answer(RoutingContext rc, Supplier<Future<?>> op) {
    Future<?> result;
    try {
      result = op.get();
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    result.compose(body -> Replies.json(rc, 200, body)).onFailure(rc::fail);
  }
}
