package dev.kasoku.cacheedge.storage;

/**
 * Which stored objects an invalidation applies to; one shape per purge scope, always within one
 * tenant so no selection can reach another tenant's objects. {@link #matches} is the one definition
 * of "selected": the storage applies it when it scans, and the purge guard when it checks a fetch
 * that raced a purge, so the two can never disagree. {@link #matchesCopy} is the same test for a
 * copy known only by its key, URL and tags (another edge's answer, before anything is stored); each
 * scope writes both from the same fields.
 */
public sealed interface Selection {
  String tenant();

  /** True when this selection covers {@code o} (its tenant included). */
  default boolean matches(StoredObject o) {
    return tenant().equals(o.tenant()) && covers(o);
  }

  /** The scope's own test, the tenant already checked. */
  boolean covers(StoredObject o);

  /**
   * True when this selection would cover an object of {@code tenant} stored under {@code primaryKey}
   * for {@code host} and {@code path} (the canonical path and query, as {@link StoredObject#path})
   * with {@code tags}.
   */
  default boolean matchesCopy(String tenant, String primaryKey, String host, String path,
                              java.util.List<String> tags) {
    return tenant().equals(tenant) && coversCopy(primaryKey, host, path, tags);
  }

  /** {@link #covers} for a copy known by its attributes. */
  boolean coversCopy(String primaryKey, String host, String path, java.util.List<String> tags);

  /** Every variant stored under one primary key. */
  record Key(String tenant, String primaryKey) implements Selection {
    @Override
    public boolean covers(StoredObject o) {
      return primaryKey.equals(o.primaryKey());
    }

    @Override
    public boolean coversCopy(String primaryKey, String host, String path, java.util.List<String> tags) {
      return this.primaryKey.equals(primaryKey);
    }
  }

  /** Objects whose Surrogate-Key carried the tag. */
  record Tag(String tenant, String tag) implements Selection {
    @Override
    public boolean covers(StoredObject o) {
      return o.tags().contains(tag);
    }

    @Override
    public boolean coversCopy(String primaryKey, String host, String path, java.util.List<String> tags) {
      return tags.contains(tag);
    }
  }

  /** Objects of a host whose canonical path starts with the prefix. */
  record Prefix(String tenant, String host, String pathPrefix) implements Selection {
    @Override
    public boolean covers(StoredObject o) {
      if (!host.equals(o.host())) {
        return false;
      }
      String path = o.path(); // cut from the key on each call
      return path != null && path.startsWith(pathPrefix);
    }

    @Override
    public boolean coversCopy(String primaryKey, String host, String path, java.util.List<String> tags) {
      return this.host.equals(host) && path != null && path.startsWith(pathPrefix);
    }
  }

  /** Every object fetched for a host. */
  record Host(String tenant, String host) implements Selection {
    @Override
    public boolean covers(StoredObject o) {
      return host.equals(o.host());
    }

    @Override
    public boolean coversCopy(String primaryKey, String host, String path, java.util.List<String> tags) {
      return this.host.equals(host);
    }
  }

  /** Every object of the tenant. */
  record Tenant(String tenant) implements Selection {
    @Override
    public boolean covers(StoredObject o) {
      return true;
    }

    @Override
    public boolean coversCopy(String primaryKey, String host, String path, java.util.List<String> tags) {
      return true;
    }
  }
}
