package dev.kasoku.common.model;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A customer account.
 *
 * @param id stable id used in URLs and store keys ([a-z0-9-], see {@link Ids})
 * @param name display name
 * @param plan the plan / service code (docs/security-controls.md, 8.2.2 labelling)
 * @param features features enabled for the tenant
 * @param createdAt creation time (UTC)
 */
public record Tenant(String id, String name, String plan, List<String> features, Instant createdAt) {
  public Tenant {
    Ids.requireValid(id);
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(plan, "plan");
    features = List.copyOf(features);
    Objects.requireNonNull(createdAt, "createdAt");
  }
}
