package dev.kasoku.common.model;

import java.time.Instant;
import java.util.Objects;

/**
 * An entry of a tenant's notification feed (config changes, incidents, service changes).
 *
 * @param kind e.g. "config.changed", "incident", "service"
 */
public record Notification(String id, String tenant, Instant ts, String kind, String message) {
  public Notification {
    Objects.requireNonNull(id, "id");
    Ids.requireValid(tenant);
    Objects.requireNonNull(ts, "ts");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(message, "message");
  }
}
