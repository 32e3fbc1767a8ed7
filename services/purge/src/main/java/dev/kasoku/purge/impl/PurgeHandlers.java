package dev.kasoku.purge.impl;

import dev.kasoku.common.http.Replies;
import dev.kasoku.common.security.Caller;
import io.vertx.ext.web.RoutingContext;

/**
 * HTTP of the purge operations: {@code POST /v1/tenants/{t}/purge} ({@code ?wait=true} answers
 * once the purge is done or partial) and {@code GET /v1/tenants/{t}/purge/{id}}. The access gate
 * and the contract have already checked the caller (purger role or stronger) and the body's shape;
 * {@link PurgeRequest#from} checks its meaning.
 */
public final class PurgeHandlers {
  private final PurgeService purges;

  public PurgeHandlers(PurgeService purges) {
    this.purges = purges;
  }

  public void purge(RoutingContext rc) {
    boolean wait = "true".equalsIgnoreCase(rc.queryParams().get("wait"));
    PurgeRequest request;
    try {
      request = PurgeRequest.from(Replies.body(rc, PurgeRequest.Body.class));
    } catch (RuntimeException e) {
      rc.fail(e);
      return;
    }
    purges.purge(Caller.of(rc), rc.pathParam("t"), request, wait, rc.vertx().getOrCreateContext())
        .compose(status -> Replies.json(rc, 202, status))
        .onFailure(rc::fail);
  }

  public void getPurge(RoutingContext rc) {
    purges.status(rc.pathParam("t"), rc.pathParam("id"))
        .compose(status -> Replies.json(rc, 200, status))
        .onFailure(rc::fail);
  }
}
