package dev.kasoku.cacheedge.policy;

import static dev.kasoku.cacheedge.policy.TestSites.T0;
import static dev.kasoku.cacheedge.policy.TestSites.date;
import static dev.kasoku.cacheedge.policy.TestSites.freshness;
import static dev.kasoku.cacheedge.policy.TestSites.headers;
import static dev.kasoku.cacheedge.policy.TestSites.site;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.cacheedge.policy.Freshness.Source;
import dev.kasoku.cacheedge.policy.Freshness.Verdict;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Freshness lifetime (RFC 9111 §4.2.1, §4.2.2), site TTLs, stale serving (§4.2.4, RFC 5861). */
class FreshnessTest {

  /** §4.2.1: "If the cache is shared and the s-maxage response directive is present, use its value". */
  @Test
  void sMaxAgeWinsOverMaxAgeForASharedCache() {
    Freshness f = freshness(site(), 200, headers("Cache-Control", "max-age=10, s-maxage=100"));
    assertThat(f.lifetimeSeconds()).isEqualTo(100);
    assertThat(f.source()).isEqualTo(Source.S_MAXAGE);
  }

  @Test
  void maxAgeWinsOverExpires() {
    Freshness f = freshness(site(), 200, headers("Cache-Control", "max-age=10",
        "Date", date(T0), "Expires", date(T0.plusSeconds(1000))));
    assertThat(f.lifetimeSeconds()).isEqualTo(10);
  }

  /** §4.2.1: "If the Expires response header field is present, use its value minus the value of the Date". */
  @Test
  void expiresMinusDateGivesTheLifetime() {
    Freshness f = freshness(site(), 200, headers("Date", date(T0.minusSeconds(100)),
        "Expires", date(T0.plusSeconds(200))));
    assertThat(f.lifetimeSeconds()).isEqualTo(300);
    assertThat(f.source()).isEqualTo(Source.EXPIRES);
  }

  /** §5.3: "A cache recipient MUST interpret invalid date formats, especially the value "0", as representing a time in the past". */
  @Test
  void invalidExpiresMeansAlreadyExpired() {
    Freshness f = freshness(site("\"defaultTtl\":\"1h\""), 200, headers("Expires", "0"));
    assertThat(f.lifetimeSeconds()).isZero();
    assertThat(f.isFresh(T0)).isFalse();
  }

  /**
   * §5.3: an Expires that is not an HTTP-date (RFC 9110 §5.6.7: IMF-fixdate, or exactly the obsolete
   * RFC 850 or asctime forms) is "a time in the past", however far ahead it looks; and §4.2: "A
   * cache recipient SHOULD consider a date with a zone abbreviation other than "GMT" to be invalid
   * for calculating expiration".
   */
  @Test
  void expiresThatIsNotAnHttpDateMeansAlreadyExpired() {
    for (String invalid : new String[] {"Thu, 18 Aug 2050 02:01:18 UTC", "Thu, 18 Aug 50 02:01:18 GMT",
        "Thu 18 Aug 2050 02:01:18 GMT", "Thu, 18  Aug  2050 02:01:18 GMT", "Thu, 18-Aug-2050 02:01:18 GMT",
        "Thu, 18 Aug 2050 02:01:18 AEST", "Thu, 18 Aug 2050 2:01:18 GMT", "Thu, 18 Aug 2050 02.01.18 GMT"}) {
      Freshness f = freshness(site("\"defaultTtl\":\"1h\""), 200, headers("Date", date(T0), "Expires", invalid));
      assertThat(f.lifetimeSeconds()).as(invalid).isZero();
      assertThat(f.source()).as(invalid).isEqualTo(Source.EXPIRES);
      assertThat(f.isFresh(T0)).as(invalid).isFalse();
    }
  }

  /** RFC 9110 §5.6.7: the obsolete forms are HTTP-dates: "Recipients ... MUST accept all three". */
  @Test
  void expiresInTheObsoleteFormsGivesALifetime() {
    for (String valid : new String[] {"Thursday, 18-Aug-50 02:01:18 GMT", "Thu Aug 18 02:01:18 2050",
        "THU, 18 AUG 2050 02:01:18 gmt"}) {
      Freshness f = freshness(site(), 200, headers("Date", date(T0), "Expires", valid));
      assertThat(f.isFresh(T0.plusSeconds(86_400))).as(valid).isTrue();
    }
  }

  /** §4.2.2: heuristic: "no more than some fraction of the interval since [Last-Modified]"; 10% typical. */
  @Test
  void heuristicFreshnessIsTenPercentOfTheLastModifiedAge() {
    Freshness f = freshness(site(), 200, headers("Date", date(T0),
        "Last-Modified", date(T0.minus(Duration.ofHours(10)))));
    assertThat(f.lifetimeSeconds()).isEqualTo(3600);
    assertThat(f.source()).isEqualTo(Source.HEURISTIC);
  }

  @Test
  void heuristicFreshnessIsCappedAtOneDay() {
    Freshness f = freshness(site(), 200, headers("Date", date(T0),
        "Last-Modified", date(T0.minus(Duration.ofDays(365)))));
    assertThat(f.lifetimeSeconds()).isEqualTo(Freshness.HEURISTIC_CAP_SECONDS);
  }

  /** §4.2.2: heuristics only for heuristically cacheable status codes (RFC 9110 §15.1). */
  @Test
  void noHeuristicFreshnessForAStatusNotCacheableByDefault() {
    Freshness f = freshness(site(), 302, headers("Date", date(T0),
        "Last-Modified", date(T0.minus(Duration.ofDays(1)))));
    assertThat(f.lifetimeSeconds()).isZero();
    assertThat(f.source()).isEqualTo(Source.NONE);
  }

  @Test
  void noHeuristicFreshnessWhenExplicitExpirationIsPresent() {
    Freshness f = freshness(site(), 200, headers("Cache-Control", "max-age=5", "Date", date(T0),
        "Last-Modified", date(T0.minus(Duration.ofDays(10)))));
    assertThat(f.lifetimeSeconds()).isEqualTo(5);
  }

  @Test
  void siteDefaultTtlAppliesWithoutExplicitFreshness() {
    Freshness f = freshness(site("\"defaultTtl\":\"1h\""), 200, headers());
    assertThat(f.lifetimeSeconds()).isEqualTo(3600);
    assertThat(f.source()).isEqualTo(Source.SITE_DEFAULT);
  }

  @Test
  void ruleTtlReplacesTheSiteDefault() {
    CompiledSite s = site("\"defaultTtl\":\"1h\",\"rules\":[{\"match\":{\"pathPrefix\":\"/static/\"},\"ttl\":\"7d\"}]");
    assertThat(freshness(s, "/static/a.css", 200, headers()).lifetimeSeconds()).isEqualTo(7 * 86400);
    assertThat(freshness(s, "/other", 200, headers()).lifetimeSeconds()).isEqualTo(3600);
  }

  @Test
  void originExplicitFreshnessWinsOverSiteTtlWhenHonoured() {
    CompiledSite s = site("\"defaultTtl\":\"1h\"");
    assertThat(freshness(s, 200, headers("Cache-Control", "max-age=60")).lifetimeSeconds()).isEqualTo(60);
  }

  @Test
  void siteTtlOverridesOriginWhenOriginCacheControlIsNotHonoured() {
    CompiledSite s = site("\"defaultTtl\":\"1h\",\"honorOriginCacheControl\":false");
    Freshness f = freshness(s, 200, headers("Cache-Control", "max-age=60, no-cache"));
    assertThat(f.lifetimeSeconds()).isEqualTo(3600);
    assertThat(f.alwaysRevalidate()).isFalse();
    assertThat(f.verdict(T0.plusSeconds(100), CacheControl.EMPTY)).isEqualTo(Verdict.FRESH);
  }

  /** RFC 9213: a field targeted at CDNs is obeyed even when the site ignores Cache-Control. */
  @Test
  void targetedFieldIsHonouredEvenWhenOriginCacheControlIsNot() {
    CompiledSite s = site("\"defaultTtl\":\"1h\",\"honorOriginCacheControl\":false");
    Freshness f = freshness(s, 200, headers("CDN-Cache-Control", "max-age=30"));
    assertThat(f.lifetimeSeconds()).isEqualTo(30);
  }

  /** RFC 9213 §2.1: when a targeted field is used, Expires is ignored. */
  @Test
  void expiresIsIgnoredWhenATargetedFieldIsSelected() {
    Freshness f = freshness(site(), 200, headers("CDN-Cache-Control", "public",
        "Date", date(T0), "Expires", date(T0.plusSeconds(500))));
    assertThat(f.lifetimeSeconds()).isZero();
  }

  /** CPDoS: an error is never cached on a site TTL. */
  @Test
  void errorStatusGetsNoSiteTtl() {
    CompiledSite s = site("\"defaultTtl\":\"1h\",\"rules\":[{\"match\":{\"pathPrefix\":\"/\"},\"ttl\":\"1d\"}]");
    Freshness f = freshness(s, 404, headers());
    assertThat(f.lifetimeSeconds()).isZero();
  }

  /** CPDoS: no heuristic freshness for a 404 either, although §15.1 allows it. */
  @Test
  void errorStatusGetsNoHeuristicFreshness() {
    Freshness f = freshness(site(), 404, headers("Date", date(T0),
        "Last-Modified", date(T0.minus(Duration.ofDays(10)))));
    assertThat(f.lifetimeSeconds()).isZero();
  }

  @Test
  void errorStatusKeepsTheOriginsExplicitFreshnessEvenWhenNotHonoured() {
    CompiledSite s = site("\"defaultTtl\":\"1h\",\"honorOriginCacheControl\":false");
    Freshness f = freshness(s, 404, headers("Cache-Control", "max-age=10"));
    assertThat(f.lifetimeSeconds()).isEqualTo(10);
    assertThat(f.explicit()).isTrue();
  }

  @Test
  void freshUntilLifetimeThenStale() {
    Freshness f = freshness(site(), 200, headers("Cache-Control", "max-age=60"));
    assertThat(f.verdict(T0.plusSeconds(59), CacheControl.EMPTY)).isEqualTo(Verdict.FRESH);
    assertThat(f.verdict(T0.plusSeconds(60), CacheControl.EMPTY)).isEqualTo(Verdict.STALE);
    assertThat(f.ttlSeconds(T0.plusSeconds(50))).isEqualTo(10);
    assertThat(f.ttlSeconds(T0.plusSeconds(70))).isEqualTo(-10);
  }

  /** RFC 5861 §3: stale-while-revalidate allows serving stale while revalidating in the background. */
  @Test
  void staleWhileRevalidateFromTheResponseAllowsServingStale() {
    Freshness f = freshness(site(), 200,
        headers("Cache-Control", "max-age=60, stale-while-revalidate=30"));
    assertThat(f.verdict(T0.plusSeconds(80), CacheControl.EMPTY)).isEqualTo(Verdict.STALE_WHILE_REVALIDATE);
    assertThat(f.verdict(T0.plusSeconds(91), CacheControl.EMPTY)).isEqualTo(Verdict.STALE);
  }

  @Test
  void staleWhileRevalidateFallsBackToTheSiteDefault() {
    Freshness f = freshness(site("\"staleWhileRevalidate\":\"30s\""), 200,
        headers("Cache-Control", "max-age=60"));
    assertThat(f.verdict(T0.plusSeconds(80), CacheControl.EMPTY)).isEqualTo(Verdict.STALE_WHILE_REVALIDATE);
  }

  @Test
  void responseStaleWhileRevalidateOverridesTheSiteDefault() {
    Freshness f = freshness(site("\"staleWhileRevalidate\":\"1h\""), 200,
        headers("Cache-Control", "max-age=60, stale-while-revalidate=5"));
    assertThat(f.verdict(T0.plusSeconds(70), CacheControl.EMPTY)).isEqualTo(Verdict.STALE);
  }

  /** RFC 5861 §4: stale-if-error. */
  @Test
  void staleIfErrorAllowsStaleWithinItsWindow() {
    Freshness f = freshness(site(), 200, headers("Cache-Control", "max-age=60, stale-if-error=100"));
    assertThat(f.staleIfErrorAllows(T0.plusSeconds(150))).isTrue();
    assertThat(f.staleIfErrorAllows(T0.plusSeconds(161))).isFalse();
  }

  @Test
  void staleIfErrorFallsBackToTheSiteDefault() {
    Freshness f = freshness(site("\"staleIfError\":\"1d\""), 200, headers("Cache-Control", "max-age=60"));
    assertThat(f.staleIfErrorAllows(T0.plusSeconds(3600))).isTrue();
  }

  /** §5.2.2.2: must-revalidate: "the cache MUST NOT use the response to satisfy any other request without forwarding it for validation". */
  @Test
  void mustRevalidateForbidsServingStale() {
    Freshness f = freshness(site("\"staleIfError\":\"1d\",\"staleWhileRevalidate\":\"1h\""), 200,
        headers("Cache-Control", "max-age=60, must-revalidate, stale-if-error=600"));
    assertThat(f.noStale()).isTrue();
    assertThat(f.verdict(T0.plusSeconds(61), CacheControl.EMPTY)).isEqualTo(Verdict.STALE);
    assertThat(f.staleIfErrorAllows(T0.plusSeconds(61))).isFalse();
  }

  /** §5.2.2.8: proxy-revalidate is must-revalidate for shared caches. */
  @Test
  void proxyRevalidateForbidsServingStale() {
    Freshness f = freshness(site("\"staleIfError\":\"1d\""), 200,
        headers("Cache-Control", "max-age=60, proxy-revalidate"));
    assertThat(f.staleIfErrorAllows(T0.plusSeconds(61))).isFalse();
  }

  /** §5.2.2.10: s-maxage implies proxy-revalidate: the site's stale defaults do not apply. */
  @Test
  void sMaxAgeForbidsSiteDefaultStaleWindows() {
    Freshness f = freshness(site("\"staleIfError\":\"1d\""), 200, headers("Cache-Control", "s-maxage=60"));
    assertThat(f.staleIfErrorAllows(T0.plusSeconds(61))).isFalse();
  }

  @Test
  void sMaxAgeStillAllowsStaleWindowsTheResponseGrantsExplicitly() {
    Freshness f = freshness(site(), 200, headers("Cache-Control", "s-maxage=60, stale-if-error=60"));
    assertThat(f.staleIfErrorAllows(T0.plusSeconds(61))).isTrue();
  }

  /** §5.2.2.4: no-cache: stored, but never used without successful validation. */
  @Test
  void noCacheRequiresValidationOnEveryUse() {
    Freshness f = freshness(site(), 200, headers("Cache-Control", "max-age=600, no-cache"));
    assertThat(f.isFresh(T0)).isFalse();
    assertThat(f.verdict(T0, CacheControl.EMPTY)).isEqualTo(Verdict.STALE);
    assertThat(f.staleIfErrorAllows(T0)).isFalse();
  }

  /** §5.2.1.4 request no-cache: validate before using the stored response. */
  @Test
  void requestNoCacheForcesValidation() {
    Freshness f = freshness(site(), 200, headers("Cache-Control", "max-age=600"));
    assertThat(f.verdict(T0.plusSeconds(1), CacheControl.parse("no-cache"))).isEqualTo(Verdict.STALE);
  }

  /** §5.2.1.1 request max-age: the client is unwilling to accept a response older than that. */
  @Test
  void requestMaxAgeForcesValidationOfOlderResponses() {
    Freshness f = freshness(site(), 200, headers("Cache-Control", "max-age=600"));
    assertThat(f.verdict(T0.plusSeconds(20), CacheControl.parse("max-age=30"))).isEqualTo(Verdict.FRESH);
    assertThat(f.verdict(T0.plusSeconds(40), CacheControl.parse("max-age=30"))).isEqualTo(Verdict.STALE);
  }

  /** §5.2.1.3 min-fresh: the client wants a response fresh for at least that long. */
  @Test
  void requestMinFreshRequiresRemainingFreshness() {
    Freshness f = freshness(site(), 200, headers("Cache-Control", "max-age=100"));
    assertThat(f.verdict(T0.plusSeconds(50), CacheControl.parse("min-fresh=40"))).isEqualTo(Verdict.FRESH);
    assertThat(f.verdict(T0.plusSeconds(70), CacheControl.parse("min-fresh=40"))).isEqualTo(Verdict.STALE);
  }

  @Test
  void staleUntilCoversTheLongestStaleWindow() {
    Freshness f = freshness(site(), 200,
        headers("Cache-Control", "max-age=60, stale-while-revalidate=10, stale-if-error=100"));
    assertThat(f.freshUntilMillis()).isEqualTo(T0.plusSeconds(60).toEpochMilli());
    assertThat(f.staleUntilMillis()).isEqualTo(T0.plusSeconds(160).toEpochMilli());
  }

  /** §4.2.1 with §4.2.3: a response that arrived already old is fresh for less. */
  @Test
  void originAgeShortensRemainingFreshness() {
    Freshness f = freshness(site(), 200, headers("Cache-Control", "max-age=60", "Age", "50"));
    assertThat(f.ttlSeconds(T0)).isEqualTo(10);
  }

  @Test
  void publicMakesANonDefaultStatusEligibleForSiteTtl() {
    Freshness f = freshness(site("\"defaultTtl\":\"1h\""), 302, headers("Cache-Control", "public"));
    assertThat(f.lifetimeSeconds()).isEqualTo(3600);
  }

  /**
   * Regression: a TTL of 9223372036854775807s was multiplied into milliseconds and overflowed, so the
   * edge computed a negative lifetime (ttl=-55809) and never served the object fresh. Config now
   * bounds durations; the arithmetic saturates whatever reaches it.
   */
  @Test
  void aHugeRuleTtlSaturatesInsteadOfOverflowing() {
    CompiledSite s = site();
    CompiledSite.EffectiveRule forever = new CompiledSite.EffectiveRule(0, Long.MAX_VALUE, true,
        dev.kasoku.common.site.QueryPolicy.KEEP, true);
    var resp = headers("Date", date(T0), "Age", "5");
    Freshness f = Freshness.compute(200, resp, TargetedControls.select(resp), s, forever, T0, T0);

    assertThat(f.isFresh(T0.plus(Duration.ofDays(36_500)))).isTrue();
    assertThat(f.ttlSeconds(T0)).isPositive();
    assertThat(f.verdict(T0, CacheControl.EMPTY)).isEqualTo(Verdict.FRESH);
    assertThat(f.freshUntilMillis()).isGreaterThan(T0.toEpochMilli());
    assertThat(f.staleUntilMillis()).isGreaterThanOrEqualTo(f.freshUntilMillis());
  }
}
