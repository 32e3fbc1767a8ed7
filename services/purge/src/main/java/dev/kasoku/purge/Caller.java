package dev.kasoku.purge;

import dev.kasoku.common.security.Principal;
import dev.kasoku.common.security.SourceAddress;
import io.vertx.ext.web.RoutingContext;

/**
 * Who is purging, for the audit trail. Authentication and the purger-role check happen before the
 * handler runs (the access gate of common/security, from {@code x-kasoku-access} in the contract);
 * this only reads their result.
 *
 * @param actor the principal as written in audit events ({@code api-key:<id>}, {@code user:<name>})
 * @param sourceIp the client address as the gate determined it (trusted proxies honoured)
 */
record Caller(String actor, String sourceIp) {

  /** The one place the purge service reads the caller's identity. */
  static Caller of(RoutingContext rc) {
    return new Caller(Principal.of(rc).actor(), SourceAddress.get(rc));
  }
}
