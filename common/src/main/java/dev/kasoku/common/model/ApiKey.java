package dev.kasoku.common.model;

import java.time.Instant;
import java.util.Objects;

/**
 * An API key's stored form: never the secret, only its hash.
 *
 * @param id the key's visible prefix, unique across the platform (the part before the secret)
 * @param secretHash hash of the secret part
 */
public record ApiKey(String id, String tenant, String name, TenantRole role, String secretHash,
                     Instant createdAt) {
  public ApiKey {
    Objects.requireNonNull(id, "id");
    Ids.requireValid(tenant);
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(secretHash, "secretHash");
    Objects.requireNonNull(createdAt, "createdAt");
  }
}
