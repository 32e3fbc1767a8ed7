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
  public EdgeSite {
    origins = List.copyOf(origins);
  }

  public String tenant() {
    return compiled.tenant();
  }

  public String site() {
    return compiled.site();
  }
}
