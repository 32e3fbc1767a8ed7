package dev.kasoku.common.security;

import dev.kasoku.common.model.TenantRole;
import java.time.Instant;
import java.util.Objects;

/**
 * The identity a credential proved, as {@link AccessControl} established it. Handlers reach it
 * through the request's {@link Caller}; it is absent only on {@code public} operations.
 *
 * @param kind what kind of credential was presented
 * @param tenant the caller's tenant; null for the operator
 * @param role the caller's role in its tenant, as stored now (a user's role change applies at once);
 *     null for the operator
 * @param id username, API key id, or "operator"
 * @param tokenId the login token's jti (for logout); null for other kinds
 * @param expiresAt when the login token expires; null for other kinds
 */
public record Principal(Kind kind, String tenant, TenantRole role, String id, String tokenId,
                        Instant expiresAt) {
  /** How the caller authenticated. */
  public enum Kind { USER, API_KEY, OPERATOR }

  public Principal {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(id, "id");
    if (kind != Kind.OPERATOR) {
      Objects.requireNonNull(tenant, "tenant");
      Objects.requireNonNull(role, "role");
    }
  }

  public static Principal operator() {
    return new Principal(Kind.OPERATOR, null, null, "operator", null, null);
  }

  /** The actor as written in audit events: {@code user:<name>}, {@code api-key:<id>}, {@code operator}. */
  public String actor() {
    return switch (kind) {
      case USER -> "user:" + id;
      case API_KEY -> "api-key:" + id;
      case OPERATOR -> "operator";
    };
  }
}
