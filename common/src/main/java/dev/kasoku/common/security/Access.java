package dev.kasoku.common.security;

import dev.kasoku.common.model.TenantRole;
import java.util.Locale;
import java.util.Objects;

/**
 * Who may call one API operation, as the contract declares it in the operation's
 * {@value #EXTENSION} extension (docs/openapi.yaml). The contract is the single table of
 * authorisation: {@link dev.kasoku.common.api.ApiRouter} reads it for every operation and refuses
 * to start when an operation lacks it, so a new endpoint cannot be added without saying who may
 * call it.
 *
 * <p>Values: {@code public} (no credential: login, health), {@code operator} (the platform's staff),
 * {@code authenticated} (any valid credential: logout), {@code tenant:<role>} (a credential of the
 * tenant named by the path's {@code {t}} with at least that role, see {@link TenantRole#atLeast}).
 *
 * @param role the least role needed; only for {@link Kind#TENANT}
 */
public record Access(Kind kind, TenantRole role) {
  /** The OpenAPI operation extension that carries the rule. */
  public static final String EXTENSION = "x-kasoku-access";

  /** The kinds of rule. */
  public enum Kind { PUBLIC, OPERATOR, AUTHENTICATED, TENANT }

  public static final Access PUBLIC = new Access(Kind.PUBLIC, null);
  public static final Access OPERATOR = new Access(Kind.OPERATOR, null);
  public static final Access AUTHENTICATED = new Access(Kind.AUTHENTICATED, null);

  public Access {
    Objects.requireNonNull(kind, "kind");
    if ((kind == Kind.TENANT) != (role != null)) {
      throw new IllegalArgumentException("a role is given exactly for tenant rules");
    }
  }

  public static Access tenant(TenantRole role) {
    return new Access(Kind.TENANT, Objects.requireNonNull(role, "role"));
  }

  /** Parses an extension value; throws IllegalArgumentException naming the bad value. */
  public static Access parse(Object value) {
    if (!(value instanceof String s)) {
      throw new IllegalArgumentException(EXTENSION + " must be a string, got " + value);
    }
    String v = s.trim().toLowerCase(Locale.ROOT);
    switch (v) {
      case "public":
        return PUBLIC;
      case "operator":
        return OPERATOR;
      case "authenticated":
        return AUTHENTICATED;
      default:
        if (v.startsWith("tenant:")) {
          try {
            return tenant(TenantRole.parse(v.substring("tenant:".length())));
          } catch (IllegalArgumentException e) {
            // fall through to the message below
          }
        }
        throw new IllegalArgumentException("unknown " + EXTENSION + " value '" + s
            + "': expected public, operator, authenticated or tenant:<admin|editor|purger|viewer>");
    }
  }

  @Override
  public String toString() {
    return kind == Kind.TENANT ? "tenant:" + role.id() : kind.name().toLowerCase(Locale.ROOT);
  }
}
