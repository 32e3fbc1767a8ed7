package dev.kasoku.cacheedge.storage;

/**
 * Which stored objects an invalidation applies to; one shape per purge scope, always within one
 * tenant so no selection can reach another tenant's objects.
 */
public sealed interface Selection {
  String tenant();

  /** Every variant stored under one primary key. */
  record Key(String tenant, String primaryKey) implements Selection {}

  /** Objects whose Surrogate-Key carried the tag. */
  record Tag(String tenant, String tag) implements Selection {}

  /** Objects of a host whose canonical path starts with the prefix. */
  record Prefix(String tenant, String host, String pathPrefix) implements Selection {}

  /** Every object fetched for a host. */
  record Host(String tenant, String host) implements Selection {}

  /** Every object of the tenant. */
  record Tenant(String tenant) implements Selection {}
}
