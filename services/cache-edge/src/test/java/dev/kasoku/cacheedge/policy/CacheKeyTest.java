package dev.kasoku.cacheedge.policy;

import static dev.kasoku.cacheedge.policy.TestSites.site;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * Cache key and forwarded URI: RFC 3986 §6.2.2 normalisation, query policies, and the attacks:
 * normalisation confusion, parameter cloaking, tenant separation.
 */
class CacheKeyTest {
  private static final CompiledSite SITE = site();

  private static CanonicalRequest get(String target) {
    return CacheKey.canonicalize(SITE, "GET", "www.example.com", target);
  }

  private static String uri(String target) {
    return get(target).uri();
  }

  private static String uri(CompiledSite site, String target) {
    return CacheKey.canonicalize(site, "GET", "www.example.com", target).uri();
  }

  @Test
  void forwardedUriIsExactlyTheKeyedUri() {
    CanonicalRequest r = get("/a/./b/../c?z=1&a=2");
    assertThat(r.uri()).isEqualTo("/a/c?a=2&z=1");
    assertThat(r.primaryKey()).endsWith(r.uri());
    assertThat(r.primaryKey()).isEqualTo("tenant-a:site-a:GET:www.example.com/a/c?a=2&z=1");
  }

  /** RFC 3986 §6.2.2.2: percent-encoded unreserved characters are decoded. */
  @Test
  void percentEncodedUnreservedCharactersAreDecoded() {
    assertThat(uri("/%7Euser/%41bc")).isEqualTo("/~user/Abc");
  }

  /** RFC 3986 §6.2.2.1: hex digits of percent-encodings are upper-case. */
  @Test
  void percentEncodingHexIsUpperCased() {
    assertThat(uri("/a%2fb%3b")).isEqualTo("/a%2Fb%3B");
  }

  /** An encoded slash names a different resource from a real slash: it must never be decoded. */
  @Test
  void encodedSlashStaysDistinctFromSlash() {
    assertThat(get("/a%2Fb").primaryKey()).isNotEqualTo(get("/a/b").primaryKey());
  }

  /** RFC 3986 §5.2.4. */
  @Test
  void dotSegmentsAreRemoved() {
    assertThat(uri("/a/b/c/./../../g")).isEqualTo("/a/g");
    assertThat(uri("/a/b/..")).isEqualTo("/a/");
    assertThat(uri("/a/.")).isEqualTo("/a/");
    assertThat(uri("/..")).isEqualTo("/");
    assertThat(uri("/../../x")).isEqualTo("/x");
  }

  /** Decoding before dot-segment removal: an encoded ".." cannot smuggle a path past a rule. */
  @Test
  void encodedDotSegmentsAreRemovedLikePlainOnes() {
    assertThat(uri("/public/%2e%2e/api/secret")).isEqualTo("/api/secret");
    assertThat(uri("/public/.%2E/api/secret")).isEqualTo("/api/secret");
  }

  @Test
  void ruleIsChosenOnTheNormalisedPath() {
    CompiledSite s = site("\"rules\":[{\"match\":{\"pathPrefix\":\"/api/\"},\"cache\":false}]");
    CanonicalRequest r = CacheKey.canonicalize(s, "GET", "www.example.com", "/static/%2e%2e/api/me");
    assertThat(r.path()).isEqualTo("/api/me");
    assertThat(r.rule().cache()).isFalse();
    assertThat(r.cacheable()).isFalse();
  }

  @Test
  void dotsInsideSegmentNamesAreKept() {
    assertThat(uri("/a/..b/.c/d..")).isEqualTo("/a/..b/.c/d..");
  }

  @Test
  void emptySegmentsAreKept() {
    assertThat(uri("/a//b")).isEqualTo("/a//b");
    assertThat(get("/a//b").primaryKey()).isNotEqualTo(get("/a/b").primaryKey());
  }

  @Test
  void semicolonPathParametersAreKept() {
    assertThat(uri("/a;jsessionid=1/b")).isEqualTo("/a;jsessionid=1/b");
    assertThat(get("/a;x").primaryKey()).isNotEqualTo(get("/a").primaryKey());
  }

  @Test
  void pathCaseIsPreserved() {
    assertThat(get("/A").primaryKey()).isNotEqualTo(get("/a").primaryKey());
  }

  @Test
  void backslashInPathIsRejected() {
    assertThatThrownBy(() -> get("/a\\..\\b")).isInstanceOf(MalformedRequestException.class)
        .extracting("status").isEqualTo(400);
  }

  @Test
  void controlCharactersAreRejected() {
    assertThatThrownBy(() -> get("/a\u0000b")).isInstanceOf(MalformedRequestException.class);
    assertThatThrownBy(() -> get("/a\rb")).isInstanceOf(MalformedRequestException.class);
    assertThatThrownBy(() -> get("/a b")).isInstanceOf(MalformedRequestException.class);
    assertThatThrownBy(() -> get("/a?b=\u0001")).isInstanceOf(MalformedRequestException.class);
  }

  @Test
  void badPercentEncodingIsRejected() {
    assertThatThrownBy(() -> get("/a%zz")).isInstanceOf(MalformedRequestException.class);
    assertThatThrownBy(() -> get("/a%2")).isInstanceOf(MalformedRequestException.class);
    assertThatThrownBy(() -> get("/?a=%")).isInstanceOf(MalformedRequestException.class);
  }

  @Test
  void fragmentInTheRequestTargetIsRejected() {
    assertThatThrownBy(() -> get("/a#b")).isInstanceOf(MalformedRequestException.class);
  }

  @Test
  void targetNotStartingWithSlashIsRejected() {
    assertThatThrownBy(() -> get("a/b")).isInstanceOf(MalformedRequestException.class);
    assertThatThrownBy(() -> get("*")).isInstanceOf(MalformedRequestException.class);
  }

  @Test
  void overlongTargetIsRejectedWith414() {
    String target = "/" + "a".repeat(CacheKey.MAX_TARGET_LENGTH);
    assertThatThrownBy(() -> get(target)).isInstanceOf(MalformedRequestException.class)
        .extracting("status").isEqualTo(414);
  }

  @Test
  void unsafeButCommonCharactersAreEncodedNotRejected() {
    assertThat(uri("/a|b{c}\"")).isEqualTo("/a%7Cb%7Bc%7D%22");
    assertThat(uri("/a%7cb")).isEqualTo(uri("/a|b"));
  }

  @Test
  void latin1BytesArePercentEncoded() {
    assertThat(uri("/caf\u00e9")).isEqualTo("/caf%E9");
  }

  @Test
  void absoluteFormKeysLikeOriginForm() {
    assertThat(get("http://www.example.com/a?b=1").uri()).isEqualTo("/a?b=1");
    assertThat(get("https://www.example.com").uri()).isEqualTo("/");
    assertThat(get("http://www.example.com?b=1").uri()).isEqualTo("/?b=1");
  }

  @Test
  void absoluteFormNamingAnotherHostIsRejected() {
    assertThatThrownBy(() -> get("http://evil.example/a")).isInstanceOf(MalformedRequestException.class);
  }

  @Test
  void absoluteFormWithUserInfoIsRejected() {
    assertThatThrownBy(() -> get("http://evil@www.example.com/")).isInstanceOf(MalformedRequestException.class);
  }

  @Test
  void queryParametersAreSortedByName() {
    assertThat(uri("/p?b=2&a=1&c=3")).isEqualTo("/p?a=1&b=2&c=3");
  }

  /** Reordering same-name values would change what a "last value wins" origin sees. */
  @Test
  void duplicateParametersKeepTheirRelativeOrder() {
    assertThat(uri("/p?a=2&b=0&a=1")).isEqualTo("/p?a=2&a=1&b=0");
    assertThat(get("/p?a=2&a=1").primaryKey()).isNotEqualTo(get("/p?a=1&a=2").primaryKey());
  }

  @Test
  void emptyParametersAndEmptyQueryAreDropped() {
    assertThat(uri("/p?")).isEqualTo("/p");
    assertThat(uri("/p?&&a=1&")).isEqualTo("/p?a=1");
  }

  @Test
  void queryPercentEncodingIsNormalised() {
    assertThat(uri("/p?%61=%2f")).isEqualTo("/p?a=%2F");
  }

  @Test
  void plusInQueryIsLeftAsIs() {
    assertThat(uri("/p?q=a+b")).isEqualTo("/p?q=a+b");
    assertThat(get("/p?q=a+b").primaryKey()).isNotEqualTo(get("/p?q=a%20b").primaryKey());
  }

  @Test
  void ignoreDropsTheWholeQueryFromKeyAndForward() {
    CompiledSite s = site("\"rules\":[{\"match\":{\"pathPrefix\":\"/\"},\"query\":\"ignore\"}]");
    assertThat(uri(s, "/p?utm=1&x=2")).isEqualTo("/p");
  }

  @Test
  void onlyKeepsTheNamedParameters() {
    CompiledSite s = site("\"rules\":[{\"match\":{\"pathPrefix\":\"/\"},\"query\":{\"only\":[\"v\"]}}]");
    assertThat(uri(s, "/app.js?x=1&v=3&y=2")).isEqualTo("/app.js?v=3");
  }

  @Test
  void exceptDropsTheNamedParameters() {
    CompiledSite s = site("\"rules\":[{\"match\":{\"pathPrefix\":\"/\"},\"query\":{\"except\":[\"utm_source\"]}}]");
    assertThat(uri(s, "/p?utm_source=x&b=1")).isEqualTo("/p?b=1");
  }

  /**
   * Parameter cloaking (e.g. Rack or old Python treat ';' as a separator): with only=[v], the
   * request "?v=1;callback=evil" must not be keyed as "?v=1" while forwarding the callback. The
   * parameter is kept whole, so key and forward both carry it.
   */
  @Test
  void semicolonInQueryCannotCloakAParameter() {
    CompiledSite s = site("\"rules\":[{\"match\":{\"pathPrefix\":\"/\"},\"query\":{\"only\":[\"v\"]}}]");
    CanonicalRequest cloaked = CacheKey.canonicalize(s, "GET", "www.example.com", "/a.js?v=1;callback=evil");
    CanonicalRequest plain = CacheKey.canonicalize(s, "GET", "www.example.com", "/a.js?v=1");
    assertThat(cloaked.uri()).isEqualTo("/a.js?v=1;callback=evil");
    assertThat(cloaked.primaryKey()).isNotEqualTo(plain.primaryKey());
  }

  /** An excluded parameter is dropped from the forwarded request too, with whatever it carried. */
  @Test
  void excludedParameterIsNeverForwarded() {
    CompiledSite s = site("\"rules\":[{\"match\":{\"pathPrefix\":\"/\"},\"query\":{\"except\":[\"utm\"]}}]");
    CanonicalRequest r = CacheKey.canonicalize(s, "GET", "www.example.com", "/a?utm=x;cb=evil&v=1");
    assertThat(r.uri()).isEqualTo("/a?v=1");
  }

  /** An encoded '&' is data, not a separator, for key and forward alike. */
  @Test
  void encodedAmpersandDoesNotSplitParameters() {
    CompiledSite s = site("\"rules\":[{\"match\":{\"pathPrefix\":\"/\"},\"query\":{\"only\":[\"v\"]}}]");
    assertThat(uri(s, "/a?v=1%26cb=evil")).isEqualTo("/a?v=1%26cb=evil");
  }

  @Test
  void onlyMatchesEncodedSpellingsOfTheName() {
    CompiledSite s = site("\"rules\":[{\"match\":{\"pathPrefix\":\"/\"},\"query\":{\"only\":[\"v\"]}}]");
    assertThat(uri(s, "/a?%76=1")).isEqualTo("/a?v=1");
  }

  @Test
  void headSharesTheKeyOfGet() {
    CanonicalRequest head = CacheKey.canonicalize(SITE, "HEAD", "www.example.com", "/x");
    assertThat(head.primaryKey()).isEqualTo(get("/x").primaryKey());
  }

  @Test
  void otherMethodsHaveTheirOwnKeyButKnowTheGetKey() {
    CanonicalRequest post = CacheKey.canonicalize(SITE, "POST", "www.example.com", "/x");
    assertThat(post.primaryKey()).isNotEqualTo(get("/x").primaryKey());
    assertThat(post.getKey()).isEqualTo(get("/x").primaryKey());
    assertThat(post.cacheable()).isFalse();
  }

  @Test
  void invalidMethodTokenIsRejected() {
    assertThatThrownBy(() -> CacheKey.canonicalize(SITE, "G:ET", "www.example.com", "/"))
        .isInstanceOf(MalformedRequestException.class);
  }

  @Test
  void hostIsPartOfTheKey() {
    CanonicalRequest a = CacheKey.canonicalize(SITE, "GET", "www.example.com", "/x");
    CanonicalRequest b = CacheKey.canonicalize(SITE, "GET", "static.example.com", "/x");
    assertThat(a.primaryKey()).isNotEqualTo(b.primaryKey());
  }

  /** Tenant and site ids cannot contain ':', so no choice of ids makes two sites' keys collide. */
  @Test
  void keysOfDifferentTenantsNeverCollide() {
    CompiledSite a = site("ab", "c", "");
    CompiledSite b = site("a", "bc", "");
    CanonicalRequest ka = CacheKey.canonicalize(a, "GET", "h", "/x");
    CanonicalRequest kb = CacheKey.canonicalize(b, "GET", "h", "/x");
    assertThat(ka.primaryKey()).isNotEqualTo(kb.primaryKey());
    assertThat(ka.primaryKey()).startsWith("ab:c:");
  }

  @Test
  void siteIdsWithColonAreRefused() {
    assertThatThrownBy(() -> site("a:b", "c", "")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void hostIsLowerCasedWithoutTrailingDotAndDefaultPort() {
    assertThat(CacheKey.normalizeHost("WWW.Example.COM.", false)).isEqualTo("www.example.com");
    assertThat(CacheKey.normalizeHost("www.example.com:80", false)).isEqualTo("www.example.com");
    assertThat(CacheKey.normalizeHost("www.example.com:443", true)).isEqualTo("www.example.com");
    assertThat(CacheKey.normalizeHost("www.example.com:443", false)).isEqualTo("www.example.com:443");
    assertThat(CacheKey.normalizeHost("www.example.com:", false)).isEqualTo("www.example.com");
  }

  @Test
  void ipv6HostLiteralKeepsItsBrackets() {
    assertThat(CacheKey.normalizeHost("[::1]:8080", false)).isEqualTo("[::1]:8080");
    assertThat(CacheKey.hostName("[::1]:8080")).isEqualTo("[::1]");
  }

  @Test
  void invalidHostsAreRefused() {
    assertThat(CacheKey.normalizeHost("evil.com/x", false)).isNull();
    assertThat(CacheKey.normalizeHost("a b", false)).isNull();
    assertThat(CacheKey.normalizeHost("a@b", false)).isNull();
    assertThat(CacheKey.normalizeHost("host:99999", false)).isNull();
    assertThat(CacheKey.normalizeHost("host:8x", false)).isNull();
    assertThat(CacheKey.normalizeHost("", false)).isNull();
    assertThat(CacheKey.normalizeHost("a..b", false)).isNull();
  }

  @Test
  void hostNameDropsThePort() {
    assertThat(CacheKey.hostName("www.example.com:8080")).isEqualTo("www.example.com");
  }

  @Test
  void tooManyQueryParametersAreRejected() {
    StringBuilder sb = new StringBuilder("/p?");
    for (int i = 0; i <= CacheKey.MAX_QUERY_PARAMS; i++) {
      sb.append("a").append(i).append("=1&");
    }
    assertThatThrownBy(() -> get(sb.toString())).isInstanceOf(MalformedRequestException.class);
  }

  @Test
  void alreadyCanonicalTargetIsReturnedAsIs() {
    assertThat(uri("/a/b.css?v=1")).isEqualTo("/a/b.css?v=1");
  }

  /** Property: canonicalising a canonical uri gives the same uri (idempotence). */
  @Test
  void canonicalisationIsIdempotent() {
    String[] targets = {"/a/%2e%2E/b?z=%7e&a=%2f", "/x|y/./z?b=1&&a=2", "/caf\u00e9/..;p?q=\"", "/a//b/../c"};
    for (String t : targets) {
      String once = uri(t);
      assertThat(uri(once)).as(t).isEqualTo(once);
    }
  }

  /** A pathological customer regex cannot pin the event loop, and fails safe (not cached). */
  @Test
  void catastrophicRegexIsAbandonedAndTheRequestPassed() {
    CompiledSite s = site("\"rules\":[{\"match\":{\"pathRegex\":\"^/(.*a){20}$\"},\"ttl\":\"1d\"}]");
    CanonicalRequest r = CacheKey.canonicalize(s, "GET", "h", "/" + "a".repeat(26) + "!");
    assertThat(r.rule()).isEqualTo(CompiledSite.PASS_RULE);
    assertThat(r.cacheable()).isFalse();
  }
}
