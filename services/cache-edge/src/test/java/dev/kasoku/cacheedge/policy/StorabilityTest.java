package dev.kasoku.cacheedge.policy;

import static dev.kasoku.cacheedge.policy.TestSites.T0;
import static dev.kasoku.cacheedge.policy.TestSites.date;
import static dev.kasoku.cacheedge.policy.TestSites.headers;
import static dev.kasoku.cacheedge.policy.TestSites.site;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.MultiMap;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Whether a shared cache may store a response: RFC 9111 §3, §3.5; RFC 9110 §15.1; CPDoS. */
class StorabilityTest {
  private static final MultiMap NO_HEADERS = headers();

  private static Storability.Decision decide(CompiledSite site, String method, MultiMap req,
                                             int status, MultiMap resp) {
    return decide(site, "/", method, req, status, resp);
  }

  private static Storability.Decision decide(CompiledSite site, String path, String method,
                                             MultiMap req, int status, MultiMap resp) {
    TargetedControls tc = TargetedControls.select(resp);
    CompiledSite.EffectiveRule rule = site.ruleFor(path);
    Freshness f = Freshness.compute(status, resp, tc, site, rule, T0, T0);
    return Storability.decide(method, req, CacheControl.of(req), status, resp, tc, f, site, rule, path);
  }

  private static Storability.Decision decide(int status, MultiMap resp) {
    return decide(site(), "GET", NO_HEADERS, status, resp);
  }

  @Test
  void okWithMaxAgeIsStored() {
    assertThat(decide(200, headers("Cache-Control", "max-age=60")).store()).isTrue();
  }

  /** §3: "the request method is understood by the cache" — we store GET only. */
  @Test
  void postResponseIsNotStored() {
    var d = decide(site(), "POST", NO_HEADERS, 200, headers("Cache-Control", "max-age=60"));
    assertThat(d.store()).isFalse();
    assertThat(d.reason()).isEqualTo("method");
  }

  @Test
  void siteRuleCacheFalsePreventsStorage() {
    CompiledSite s = site("\"rules\":[{\"match\":{\"pathPrefix\":\"/api/\"},\"cache\":false}]");
    var d = decide(s, "/api/x", "GET", NO_HEADERS, 200, headers("Cache-Control", "max-age=60"));
    assertThat(d.reason()).isEqualTo("rule");
  }

  /** §5.2.1.5: request no-store: "a cache MUST NOT store any part of either this request or any response to it". */
  @Test
  void requestNoStorePreventsStorage() {
    var d = decide(site(), "GET", headers("Cache-Control", "no-store"), 200,
        headers("Cache-Control", "max-age=60"));
    assertThat(d.reason()).isEqualTo("request-no-store");
  }

  /** §5.2.2.5. */
  @Test
  void responseNoStorePreventsStorage() {
    assertThat(decide(200, headers("Cache-Control", "no-store, max-age=60")).reason()).isEqualTo("no-store");
  }

  /** §5.2.2.7: "a shared cache MUST NOT store the response" (unqualified private). */
  @Test
  void privateResponseIsNotStoredByASharedCache() {
    assertThat(decide(200, headers("Cache-Control", "private, max-age=60")).reason()).isEqualTo("private");
  }

  @Test
  void qualifiedPrivateResponseIsStoredWithoutTheNamedFields() {
    MultiMap resp = headers("Cache-Control", "private=\"x-user\", max-age=60", "X-User", "alice", "X-Other", "1");
    assertThat(decide(200, resp).store()).isTrue();
    MultiMap stored = Headers.storedHeaders(resp, CacheControl.of(resp));
    assertThat(stored.contains("x-user")).isFalse();
    assertThat(stored.get("x-other")).isEqualTo("1");
  }

  /** §3.5: Authorization in the request: stored only with public, s-maxage or must-revalidate. */
  @Test
  void authorizedRequestResponseIsNotStoredByDefault() {
    var d = decide(site(), "GET", headers("Authorization", "Bearer x"), 200,
        headers("Cache-Control", "max-age=60"));
    assertThat(d.reason()).isEqualTo("authorization");
  }

  @Test
  void authorizedRequestResponseIsStoredWithPublic() {
    var d = decide(site(), "GET", headers("Authorization", "Bearer x"), 200,
        headers("Cache-Control", "public, max-age=60"));
    assertThat(d.store()).isTrue();
  }

  @Test
  void authorizedRequestResponseIsStoredWithSMaxAge() {
    var d = decide(site(), "GET", headers("Authorization", "Bearer x"), 200,
        headers("Cache-Control", "s-maxage=60"));
    assertThat(d.store()).isTrue();
  }

  @Test
  void authorizedRequestResponseIsStoredWithMustRevalidate() {
    var d = decide(site(), "GET", headers("Authorization", "Bearer x"), 200,
        headers("Cache-Control", "max-age=60, must-revalidate"));
    assertThat(d.store()).isTrue();
  }

  /** A site TTL cannot make an Authorization response shared. */
  @Test
  void siteTtlDoesNotMakeAnAuthorizedResponseShareable() {
    var d = decide(site("\"defaultTtl\":\"1h\",\"honorOriginCacheControl\":false"), "GET",
        headers("Authorization", "Basic eDp5"), 200, headers());
    assertThat(d.reason()).isEqualTo("authorization");
  }

  /** §4.1: "A stored response with a Vary header field value containing a member "*" always fails to match". */
  @Test
  void varyStarIsNotStored() {
    assertThat(decide(200, headers("Cache-Control", "max-age=60", "Vary", "*")).reason()).isEqualTo("vary-star");
  }

  @Test
  void setCookieResponseIsNotSharedByDefault() {
    assertThat(decide(200, headers("Cache-Control", "max-age=60", "Set-Cookie", "s=1")).reason())
        .isEqualTo("set-cookie");
  }

  @Test
  void setCookieResponseIsSharedWhenTheSiteSaysSo() {
    var d = decide(site("\"shareSetCookie\":true"), "GET", NO_HEADERS, 200,
        headers("Cache-Control", "max-age=60", "Set-Cookie", "s=1"));
    assertThat(d.store()).isTrue();
  }

  /** §3.4 combining partial content is not done: a 206 is never stored. */
  @Test
  void partialContentIsNotStored() {
    assertThat(decide(206, headers("Cache-Control", "max-age=60")).reason()).isEqualTo("partial");
  }

  @Test
  void notModifiedIsNotStoredAsAResponse() {
    assertThat(decide(304, headers("Cache-Control", "max-age=60")).store()).isFalse();
  }

  /** CPDoS: a 4xx/5xx without explicit freshness is never stored, whatever the site TTL. */
  @Test
  void errorWithoutExplicitFreshnessIsNotStored() {
    CompiledSite s = site("\"defaultTtl\":\"1d\"");
    assertThat(decide(s, "GET", NO_HEADERS, 400, headers()).reason()).isEqualTo("error-not-explicit");
    assertThat(decide(s, "GET", NO_HEADERS, 404, headers()).reason()).isEqualTo("error-not-explicit");
    assertThat(decide(s, "GET", NO_HEADERS, 503, headers()).reason()).isEqualTo("error-not-explicit");
  }

  @Test
  void errorWithHeuristicOnlyFreshnessIsNotStored() {
    var d = decide(404, headers("Date", date(T0), "Last-Modified", date(T0.minus(Duration.ofDays(9)))));
    assertThat(d.store()).isFalse();
  }

  @Test
  void errorWithExplicitFreshnessIsStored() {
    assertThat(decide(404, headers("Cache-Control", "max-age=30")).store()).isTrue();
    assertThat(decide(503, headers("Cache-Control", "max-age=5")).store()).isTrue();
  }

  /** RFC 9110 §15.1: 302 is not heuristically cacheable; without explicit freshness it is not stored. */
  @Test
  void redirectWithoutExplicitFreshnessIsNotStored() {
    assertThat(decide(site("\"defaultTtl\":\"1h\""), "GET", NO_HEADERS, 302, headers("Location", "/x")).store())
        .isFalse();
  }

  @Test
  void permanentRedirectGetsTheSiteTtl() {
    assertThat(decide(site("\"defaultTtl\":\"1h\""), "GET", NO_HEADERS, 301, headers("Location", "/x")).store())
        .isTrue();
  }

  @Test
  void responseWithoutFreshnessOrValidatorIsNotStored() {
    assertThat(decide(200, headers()).reason()).isEqualTo("no-freshness");
  }

  /** Stored with zero freshness so that later requests revalidate with a cheap conditional. */
  @Test
  void responseWithOnlyAValidatorIsStoredForRevalidation() {
    assertThat(decide(200, headers("ETag", "\"v1\"")).store()).isTrue();
  }

  @Test
  void siteDefaultTtlMakesAPlainResponseStorable() {
    assertThat(decide(site("\"defaultTtl\":\"10m\""), "GET", NO_HEADERS, 200, headers()).store()).isTrue();
  }

  @Test
  void noStoreIsHonouredEvenWhenOriginCacheControlIsNot() {
    var d = decide(site("\"defaultTtl\":\"10m\",\"honorOriginCacheControl\":false"), "GET", NO_HEADERS,
        200, headers("Cache-Control", "no-store"));
    assertThat(d.reason()).isEqualTo("no-store");
  }

  /** RFC 9213: a targeted field overrides a Cache-Control private meant for browsers. */
  @Test
  void targetedFieldOverridesCacheControlPrivate() {
    assertThat(decide(200, headers("Cache-Control", "private", "CDN-Cache-Control", "max-age=60")).store())
        .isTrue();
  }

  @Test
  void targetedNoStorePreventsStorage() {
    assertThat(decide(200, headers("Cache-Control", "max-age=60", "CDN-Cache-Control", "no-store")).reason())
        .isEqualTo("no-store");
  }

  /** A GET with a body: the response may depend on the body, which is not keyed. */
  @Test
  void getWithABodyIsNotStored() {
    var d = decide(site(), "GET", headers("Content-Length", "5"), 200, headers("Cache-Control", "max-age=60"));
    assertThat(d.reason()).isEqualTo("request-body");
    var chunked = decide(site(), "GET", headers("Transfer-Encoding", "chunked"), 200,
        headers("Cache-Control", "max-age=60"));
    assertThat(chunked.reason()).isEqualTo("request-body");
  }

  @Test
  void getWithAnEmptyBodyIsStored() {
    var d = decide(site(), "GET", headers("Content-Length", "0"), 200, headers("Cache-Control", "max-age=60"));
    assertThat(d.store()).isTrue();
  }

  @Test
  void lookupIsBypassedForOtherMethodsRulesAndBodies() {
    CompiledSite.EffectiveRule rule = site().ruleFor("/");
    assertThat(Storability.lookupBypassReason("GET", NO_HEADERS, rule)).isNull();
    assertThat(Storability.lookupBypassReason("HEAD", NO_HEADERS, rule)).isNull();
    assertThat(Storability.lookupBypassReason("POST", NO_HEADERS, rule)).isEqualTo("method");
    assertThat(Storability.lookupBypassReason("GET", headers("Content-Length", "3"), rule)).isEqualTo("request-body");
    assertThat(Storability.lookupBypassReason("GET", NO_HEADERS, CompiledSite.PASS_RULE)).isEqualTo("rule");
  }

  /** RFC 9111 §5.2.2.3: must-understand with an understood status overrides no-store. */
  @Test
  void mustUnderstandWithAnUnderstoodStatusOverridesNoStore() {
    assertThat(decide(200, headers("Cache-Control", "must-understand, no-store, max-age=60")).store()).isTrue();
  }

  /** RFC 9111 §5.2.2.3: "a cache MUST NOT store the response if it does not understand the response's status code". */
  @Test
  void mustUnderstandWithAnUnknownStatusIsNotStored() {
    assertThat(decide(299, headers("Cache-Control", "must-understand, max-age=60")).reason())
        .isEqualTo("must-understand");
  }

  @Test
  void aCookieRequestsResponseNeedsTheOriginsOwnFreshnessToBeStored() {
    CompiledSite s = site("\"defaultTtl\":\"1h\"");
    MultiMap cookie = headers("Cookie", "session=1");
    assertThat(decide(s, "GET", cookie, 200, headers("Content-Type", "text/html")).reason()).isEqualTo("cookie");
    assertThat(decide(s, "GET", cookie, 200, headers("Cache-Control", "max-age=60")).store()).isTrue();
    assertThat(decide(s, "GET", cookie, 200, headers("CDN-Cache-Control", "max-age=60")).store()).isTrue();
    assertThat(decide(s, "GET", cookie, 200, headers("Date", date(T0), "Expires", date(T0.plusSeconds(60))))
        .store()).isTrue();
    assertThat(decide(s, "GET", NO_HEADERS, 200, headers("Content-Type", "text/html")).store()).isTrue();
  }

  @Test
  void siteOverridingTheOriginDoesNotMakeACookieRequestsResponseShareable() {
    CompiledSite s = site("\"defaultTtl\":\"1h\",\"honorOriginCacheControl\":false");
    assertThat(decide(s, "GET", headers("Cookie", "a=1"), 200, headers()).reason()).isEqualTo("cookie");
  }

  @Test
  void aRuleWithCookiesIgnoreStoresCookieRequestsResponses() {
    CompiledSite s = site("\"rules\":[{\"match\":{\"pathPrefix\":\"/\"},\"ttl\":\"1h\",\"cookies\":\"ignore\"}]");
    assertThat(decide(s, "/x", "GET", headers("Cookie", "a=1"), 200, headers()).store()).isTrue();
  }

  @Test
  void aContentTypeContradictingTheExtensionIsNotStoredWithoutOriginFreshness() {
    CompiledSite s = site("\"rules\":[{\"match\":{\"pathRegex\":\"\\\\.css$\"},\"ttl\":\"1d\"}]");
    assertThat(decide(s, "/a/x.css", "GET", NO_HEADERS, 200, headers("Content-Type", "text/html")).reason())
        .isEqualTo("deception-guard");
    assertThat(decide(s, "/a/x.css", "GET", NO_HEADERS, 200, headers("Content-Type", "text/css")).store()).isTrue();
    assertThat(decide(s, "/a/x.css", "GET", NO_HEADERS, 200,
        headers("Content-Type", "text/html", "Cache-Control", "max-age=60")).store()).isTrue();
    CompiledSite off = site("\"deceptionGuard\":false,\"rules\":[{\"match\":{\"pathRegex\":\"\\\\.css$\"},\"ttl\":\"1d\"}]");
    assertThat(decide(off, "/a/x.css", "GET", NO_HEADERS, 200, headers("Content-Type", "text/html")).store())
        .isTrue();
  }
}
