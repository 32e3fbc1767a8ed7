package dev.kasoku.cacheedge.policy;

import dev.kasoku.common.site.SiteConfig;
import io.vertx.core.MultiMap;
import java.time.Instant;

/** Fixtures: sites from JSON fragments, header maps, a fixed instant. */
final class TestSites {
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  private TestSites() {}

  /** A site with the given extra top-level JSON members (e.g. {@code "defaultTtl":"1h"}). */
  static CompiledSite site(String extraJson) {
    String json = "{\"hostnames\":[\"www.example.com\"],\"origins\":[{\"url\":\"http://origin.example\"}]"
        + (extraJson.isEmpty() ? "" : "," + extraJson) + "}";
    return CompiledSite.compile("tenant-a", "site-a", SiteConfig.parse(json));
  }

  static CompiledSite site() {
    return site("");
  }

  static CompiledSite site(String tenant, String siteId, String extraJson) {
    String json = "{\"hostnames\":[\"www.example.com\"],\"origins\":[{\"url\":\"http://origin.example\"}]"
        + (extraJson.isEmpty() ? "" : "," + extraJson) + "}";
    return CompiledSite.compile(tenant, siteId, SiteConfig.parse(json));
  }

  /** Headers from alternating name, value arguments. */
  static MultiMap headers(String... nameValues) {
    MultiMap h = MultiMap.caseInsensitiveMultiMap();
    for (int i = 0; i < nameValues.length; i += 2) {
      h.add(nameValues[i], nameValues[i + 1]);
    }
    return h;
  }

  static String date(Instant t) {
    return HttpDates.format(t);
  }

  /** Freshness of a response received at T0 (request sent at T0) for the site's default rule. */
  static Freshness freshness(CompiledSite site, int status, MultiMap responseHeaders) {
    return Freshness.compute(status, responseHeaders, TargetedControls.select(responseHeaders), site,
        site.ruleFor("/"), T0, T0);
  }

  static Freshness freshness(CompiledSite site, String path, int status, MultiMap responseHeaders) {
    return Freshness.compute(status, responseHeaders, TargetedControls.select(responseHeaders), site,
        site.ruleFor(path), T0, T0);
  }
}
