package dev.kasoku.common.config;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/** The roles one Kasoku process can run (KASOKU_SERVICES). */
public enum ServiceRole {
  CACHE_EDGE("cache-edge"),
  PURGE("purge"),
  AUTH("auth"),
  CONFIG("config"),
  LOGGING("logging"),
  METRICS("metrics"),
  /** The customers' web portal: static assets under /portal/ on the API port (docs/portal.md). */
  PORTAL("portal");

  private final String id;

  ServiceRole(String id) {
    this.id = id;
  }

  /** The name used in KASOKU_SERVICES, logs and health output. */
  public String id() {
    return id;
  }

  public static Optional<ServiceRole> byId(String id) {
    String wanted = id.trim().toLowerCase(Locale.ROOT);
    return Arrays.stream(values()).filter(r -> r.id.equals(wanted)).findFirst();
  }

  /** Parses `all` or a comma list of role ids. */
  public static Set<ServiceRole> parseList(String key, String value) {
    if (value == null || value.isBlank() || value.trim().equalsIgnoreCase("all")) {
      return EnumSet.allOf(ServiceRole.class);
    }
    EnumSet<ServiceRole> roles = EnumSet.noneOf(ServiceRole.class);
    for (String part : value.split(",")) {
      if (part.isBlank()) {
        continue;
      }
      roles.add(byId(part).orElseThrow(() -> new ConfigException(key, value,
          "unknown role '" + part.trim() + "'; expected 'all' or a comma list of "
              + String.join(", ", Arrays.stream(values()).map(ServiceRole::id).toList()))));
    }
    if (roles.isEmpty()) {
      throw new ConfigException(key, value, "names no role");
    }
    return roles;
  }
}
