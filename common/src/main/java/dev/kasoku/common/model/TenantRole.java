package dev.kasoku.common.model;

import java.util.Locale;

/**
 * A tenant user's or API key's role, strongest first (docs/quickstart-auth.md, roles). Each role includes
 * everything the roles after it may do.
 */
public enum TenantRole {
  ADMIN, EDITOR, PURGER, VIEWER;

  /** True when this role may do what {@code needed} may do. */
  public boolean atLeast(TenantRole needed) {
    if (needed == VIEWER) {
      // purger is purge-only: it does not read config, logs or stats
      return this != PURGER;
    }
    return ordinal() <= needed.ordinal();
  }

  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static TenantRole parse(String s) {
    return valueOf(s.trim().toUpperCase(Locale.ROOT));
  }
}
