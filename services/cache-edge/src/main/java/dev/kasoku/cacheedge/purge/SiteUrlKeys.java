package dev.kasoku.cacheedge.purge;

import dev.kasoku.cacheedge.policy.CacheKey;
import dev.kasoku.cacheedge.policy.MalformedRequestException;
import dev.kasoku.cacheedge.sites.EdgeSite;
import dev.kasoku.cacheedge.sites.SiteTable;
import java.util.List;

/**
 * {@link UrlKeys} from the edge's own cache-key rules: the purged URL is canonicalised exactly as a
 * GET for it would be ({@link CacheKey#canonicalize}: path normalisation, the site rule's query
 * policy), so a purge of {@code /a?b=1&a=2} finds the object a request for {@code /a?a=2&b=1}
 * stored. A host that is not (or no longer) a site of the purging tenant yields no key.
 */
public final class SiteUrlKeys implements UrlKeys {
  private final SiteTable sites;

  public SiteUrlKeys(SiteTable sites) {
    this.sites = sites;
  }

  @Override
  public List<String> primaryKeys(String tenant, String host, String pathAndQuery) {
    EdgeSite site = sites.lookup(host);
    if (site == null || !site.tenant().equals(tenant)) {
      return List.of();
    }
    try {
      return List.of(CacheKey.canonicalize(site.compiled(), "GET", host, pathAndQuery).primaryKey());
    } catch (MalformedRequestException e) {
      return List.of();
    }
  }
}
