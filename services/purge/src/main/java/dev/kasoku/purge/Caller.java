package dev.kasoku.purge;

import io.vertx.ext.web.RoutingContext;

/**
 * Who is purging, for the audit trail. Authentication and the purger-role check happen before the
 * handler runs (common/security, declared in the contract); this only reads the result.
 *
 * @param actor the principal's id, e.g. {@code apikey:<id>} or {@code user:<name>}
 * @param sourceIp the client address as the API saw it
 */
record Caller(String actor, String sourceIp) {

  /** The one place the purge service reads the caller's identity. */
  static Caller of(RoutingContext rc) {
    String ip = rc.request().remoteAddress() == null ? null : rc.request().remoteAddress().host();
    return new Caller("unknown", ip);
  }
}
