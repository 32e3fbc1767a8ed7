package dev.kasoku.common.security;

import dev.kasoku.common.model.TenantRole;
import io.vertx.ext.web.RoutingContext;
import java.util.Objects;

/**
 * Who is calling, from where, in which request: resolved once per API request by the access gate
 * ({@link AccessControl#admit}) and read by every handler with {@link #of(RoutingContext)}. Handlers
 * never parse credentials or addresses themselves, so every service authenticates, attributes and
 * audits a request the same way.
 *
 * @param principal the authenticated principal; null on a {@code public} operation (login)
 * @param sourceIp the client address as the gate determined it ({@link SourceAddress}: trusted proxies
 *     honoured)
 * @param requestId the request's id ({@link dev.kasoku.common.http.RequestIds}), carried into the
 *     audit trail so an audit record can be matched to the request that caused it
 */
public record Caller(Principal principal, String sourceIp, String requestId) {
  /** Routing-context key under which the gate stores the caller. */
  public static final String CONTEXT_KEY = Caller.class.getName();
  /** The actor of an unauthenticated call, as written in the audit trail. */
  public static final String ANONYMOUS = "anonymous";

  public Caller {
    Objects.requireNonNull(sourceIp, "sourceIp");
  }

  /** The request's caller; throws outside a request that passed the gate (a programming error). */
  public static Caller of(RoutingContext ctx) {
    Caller c = ctx.get(CONTEXT_KEY);
    if (c == null) {
      throw new IllegalStateException("no caller on this request: it did not pass the access gate");
    }
    return c;
  }

  /** The principal; throws on a public operation, where there is none. */
  public Principal requirePrincipal() {
    if (principal == null) {
      throw new IllegalStateException("no principal on this request: the operation is public");
    }
    return principal;
  }

  /** The caller's tenant; null for the operator and on public operations. */
  public String tenant() {
    return principal == null ? null : principal.tenant();
  }

  /** The caller's role in its tenant; null for the operator and on public operations. */
  public TenantRole role() {
    return principal == null ? null : principal.role();
  }

  /** The actor as written in audit events and version history ({@code user:alice}, {@code api-key:k1}). */
  public String actor() {
    return principal == null ? ANONYMOUS : principal.actor();
  }
}
