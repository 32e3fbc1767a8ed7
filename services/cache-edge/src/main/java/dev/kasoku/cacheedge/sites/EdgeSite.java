package dev.kasoku.cacheedge.sites;

import dev.kasoku.cacheedge.origin.Origin;
import dev.kasoku.cacheedge.policy.CompiledSite;
import java.util.List;

/**
 * A site as the edge serves it: its compiled rules and its parsed origins.
 *
 * @param version the config version it was built from (to skip recompiling unchanged sites)
 */
public record EdgeSite(CompiledSite compiled, List<Origin> origins, long version) {
  /**
   * The tenant of the edge's own internal site (its start-up warm-up): not a valid tenant id (ids are
   * {@code [a-z0-9][a-z0-9-]*}), so no tenant's site, purge or counter can ever name it. Requests to
   * it are left out of access logs, counters and meters.
   */
  public static final String INTERNAL_TENANT = CompiledSite.INTERNAL_TENANT;
  public EdgeSite {
    origins = List.copyOf(origins);
  }

  public String tenant() {
    return compiled.tenant();
  }

  public String site() {
    return compiled.site();
  }

  /** The edge's own internal site (see {@link #INTERNAL_TENANT}). */
  public boolean internal() {
    return INTERNAL_TENANT.equals(tenant());
  }
}
