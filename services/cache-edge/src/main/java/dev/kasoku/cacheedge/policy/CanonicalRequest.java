package dev.kasoku.cacheedge.policy;

/**
 * The canonical form of a client request: what we key on and, exactly, what we forward.
 *
 * @param method the client's method, unchanged
 * @param host normalised host (lower-case, no trailing dot, default port dropped)
 * @param path normalised path (see {@link CacheKey})
 * @param query canonical query without '?', or null when there is none
 * @param rule the site rule that applies to {@code path}
 * @param uri path plus '?' query: the request-target to send to the origin, byte for byte
 * @param primaryKey the key ({@link KeyFormat#primary}) of tenant, site, method class, host and uri
 */
public record CanonicalRequest(String method, String host, String path, String query,
                               CompiledSite.EffectiveRule rule, String uri, String primaryKey) {

  /** True when the method may be answered from cache (GET, HEAD) and the rule allows caching. */
  public boolean cacheable() {
    return rule.cache() && CacheKey.isCacheableMethod(method);
  }

  /**
   * The key a GET for the same URI is stored under (equal to {@link #primaryKey()} for GET and
   * HEAD); used to invalidate after an unsafe method (RFC 9111 §4.4).
   */
  public String getKey() {
    if (CacheKey.isCacheableMethod(method)) {
      return primaryKey;
    }
    return KeyFormat.withMethodClass(primaryKey, KeyFormat.GET_CLASS);
  }
}
