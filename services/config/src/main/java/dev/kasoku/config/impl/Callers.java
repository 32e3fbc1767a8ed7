package dev.kasoku.config.impl;

import dev.kasoku.common.security.Principal;
import dev.kasoku.common.security.SourceAddress;
import io.vertx.ext.web.RoutingContext;

/**
 * Who is calling: the one place the config service learns the caller's identity from the API's
 * access gate (common/security), used as the author of versions and the actor of audit events.
 */
public final class Callers {
  private Callers() {}

  /** The caller as written in audit events and version history ({@code user:alice}, {@code api-key:k1}). */
  public static String actor(RoutingContext ctx) {
    Principal p = ctx.get(Principal.CONTEXT_KEY);
    return p == null ? "anonymous" : p.actor();
  }

  /** The caller's address as the gate established it (trusted proxies considered). */
  public static String sourceIp(RoutingContext ctx) {
    return SourceAddress.get(ctx);
  }
}
