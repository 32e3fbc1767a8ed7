package dev.kasoku.common.model;

import java.time.Instant;
import java.util.Objects;

/**
 * A person who logs in to a tenant.
 *
 * @param passwordHash encoded hash including its algorithm and parameters (never a password)
 * @param credentialsVersion bumped on password change or revocation: tokens carry it and are refused
 *     when it no longer matches
 */
public record User(String tenant, String username, TenantRole role, String passwordHash,
                   long credentialsVersion, Instant createdAt, Instant updatedAt) {
  public User {
    Ids.requireValid(tenant);
    Objects.requireNonNull(username, "username");
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(passwordHash, "passwordHash");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(updatedAt, "updatedAt");
  }
}
