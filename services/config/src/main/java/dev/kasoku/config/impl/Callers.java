package dev.kasoku.config.impl;

import io.vertx.ext.web.RoutingContext;

/**
 * Who is calling: the one place the config service learns the caller's identity from the
 * authentication layer (common/security puts the principal on the routing context), used as the
 * author of versions and the actor of audit events.
 */
public final class Callers {
  /** Routing-context key under which the authentication layer leaves the caller's id. */
  static final String PRINCIPAL_KEY = "kasoku.principal";

  private Callers() {}

  /** A stable, loggable id of the caller ("user:alice", "key:k1"...); "anonymous" when none. */
  public static String actor(RoutingContext ctx) {
    Object p = ctx.get(PRINCIPAL_KEY);
    return p == null ? "anonymous" : p.toString();
  }

  /** The caller's address as the API sees it. */
  public static String sourceIp(RoutingContext ctx) {
    return ctx.request().remoteAddress() == null ? null : ctx.request().remoteAddress().hostAddress();
  }
}
