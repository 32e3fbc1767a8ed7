package dev.kasoku.cacheedge.purge;

import java.util.List;

/**
 * Turns a purged URL into the primary cache keys it is stored under on this edge. The edge's cache
 * policy owns the key format (tenant, site, method class, canonical path, query per the site's
 * rule), so the policy supplies this function; the purge agent never builds keys itself.
 */
@FunctionalInterface
public interface UrlKeys {

  /**
   * @param tenant the purging tenant (keys of another tenant are never returned)
   * @param host lower-case host without port
   * @param pathAndQuery path starting with "/", then "?" and the query as the customer sent it
   * @return every primary key the URL may be stored under (empty when the host is not a site of
   *     the tenant on this edge)
   */
  List<String> primaryKeys(String tenant, String host, String pathAndQuery);
}
