package dev.kasoku.cacheedge.storage;

import java.util.List;

/**
 * Which stored objects an invalidation applies to; one shape per purge scope, always within one
 * tenant so no selection can reach another tenant's objects. {@link #matches} is the one definition
 * of "selected": the storage applies it when it scans, and the purge guard when it checks a fetch
 * that raced a purge, so the two can never disagree. It reads only what a {@link Subject} tells,
 * so the same test applies to a copy not stored here (another edge's answer, {@link Copy}).
 */
public sealed interface Selection {
  String tenant();

  /** What a selection looks at: a {@link StoredObject}, or a {@link Copy} known by its attributes. */
  interface Subject {
    String tenant();

    String primaryKey();

    String host();

    /** The canonical path and query. */
    String path();

    List<String> tags();
  }

  /** An object known by its attributes only, such as another edge's answer before anything is stored. */
  record Copy(String tenant, String primaryKey, String host, String path, List<String> tags) implements Subject {}

  /** True when this selection covers {@code o} (its tenant included). */
  default boolean matches(Subject o) {
    return tenant().equals(o.tenant()) && covers(o);
  }

  /** The scope's own test, the tenant already checked. */
  boolean covers(Subject o);

  /** Every variant stored under one primary key. */
  record Key(String tenant, String primaryKey) implements Selection {
    @Override
    public boolean covers(Subject o) {
      return primaryKey.equals(o.primaryKey());
    }
  }

  /** Objects whose Surrogate-Key carried the tag. */
  record Tag(String tenant, String tag) implements Selection {
    @Override
    public boolean covers(Subject o) {
      return o.tags().contains(tag);
    }
  }

  /** Objects of a host whose canonical path starts with the prefix. */
  record Prefix(String tenant, String host, String pathPrefix) implements Selection {
    @Override
    public boolean covers(Subject o) {
      if (!host.equals(o.host())) {
        return false;
      }
      String path = o.path(); // a stored object cuts it from its key on each call
      return path != null && path.startsWith(pathPrefix);
    }
  }

  /** Every object fetched for a host. */
  record Host(String tenant, String host) implements Selection {
    @Override
    public boolean covers(Subject o) {
      return host.equals(o.host());
    }
  }

  /** Every object of the tenant. */
  record Tenant(String tenant) implements Selection {
    @Override
    public boolean covers(Subject o) {
      return true;
    }
  }
}
