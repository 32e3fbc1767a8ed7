package dev.kasoku.cacheedge.policy;

import static dev.kasoku.cacheedge.policy.TestSites.site;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kasoku.common.site.QueryPolicy;
import dev.kasoku.common.site.SiteConfig;
import org.junit.jupiter.api.Test;

/** Site rules: first match wins, prefix and regex, defaults. */
class CompiledSiteTest {
  private static final CompiledSite SITE = site("\"defaultTtl\":\"5m\",\"staleIfError\":\"1h\",\"rules\":["
      + "{\"match\":{\"pathPrefix\":\"/static/\"},\"ttl\":\"7d\",\"query\":\"ignore\"},"
      + "{\"match\":{\"pathRegex\":\"\\\\.(css|js)$\"},\"ttl\":\"1d\",\"query\":{\"only\":[\"v\"]}},"
      + "{\"match\":{\"pathPrefix\":\"/api/\"},\"cache\":false}]");

  @Test
  void firstMatchingRuleWins() {
    assertThat(SITE.ruleFor("/static/app.js").index()).isZero();
    assertThat(SITE.ruleFor("/static/app.js").ttlSeconds()).isEqualTo(7 * 86400);
  }

  @Test
  void regexRuleMatchesAnywhereInThePath() {
    CompiledSite.EffectiveRule r = SITE.ruleFor("/app/main.css");
    assertThat(r.index()).isEqualTo(1);
    assertThat(r.query()).isEqualTo(QueryPolicy.only("v"));
  }

  @Test
  void cacheFalseRule() {
    assertThat(SITE.ruleFor("/api/users").cache()).isFalse();
  }

  @Test
  void unmatchedPathGetsTheDefaultRule() {
    CompiledSite.EffectiveRule r = SITE.ruleFor("/index.html");
    assertThat(r.index()).isEqualTo(-1);
    assertThat(r.ttlSeconds()).isEqualTo(-1);
    assertThat(r.cache()).isTrue();
    assertThat(r.query()).isEqualTo(QueryPolicy.KEEP);
  }

  @Test
  void siteDefaultsAreCompiledToSeconds() {
    assertThat(SITE.defaultTtlSeconds()).isEqualTo(300);
    assertThat(SITE.staleIfErrorSeconds()).isEqualTo(3600);
    assertThat(SITE.staleWhileRevalidateSeconds()).isZero();
    assertThat(SITE.honorOriginCacheControl()).isTrue();
    assertThat(SITE.keyPrefix()).isEqualTo("tenant-a:site-a:");
  }

  @Test
  void invalidConfigIsNotCompiled() {
    SiteConfig bad = new SiteConfig(java.util.List.of(), java.util.List.of(), null, null, null, null, null,
        null, null, null, null, null, null);
    assertThatThrownBy(() -> CompiledSite.compile("t", "s", bad))
        .isInstanceOf(SiteConfig.InvalidSiteConfigException.class);
  }
}
