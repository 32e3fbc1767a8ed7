package dev.kasoku.cacheedge.policy;

import static dev.kasoku.cacheedge.policy.TestSites.headers;
import static dev.kasoku.cacheedge.policy.TestSites.site;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Invalidation after unsafe methods, RFC 9111 §4.4. */
class InvalidationTest {
  private static final CompiledSite SITE = site();

  private static CanonicalRequest req(String method, String target) {
    return CacheKey.canonicalize(SITE, method, "www.example.com", target);
  }

  private static String getKey(String target) {
    return req("GET", target).primaryKey();
  }

  /** "A cache MUST invalidate the target URI when it receives a non-error status code in response to an unsafe request method". */
  @Test
  void successfulPostInvalidatesTheTargetUri() {
    assertThat(Invalidation.keysToInvalidate(SITE, req("POST", "/cart?b=1&a=2"), false, 200, headers()))
        .containsExactly(getKey("/cart?a=2&b=1"));
  }

  @Test
  void errorStatusInvalidatesNothing() {
    assertThat(Invalidation.keysToInvalidate(SITE, req("DELETE", "/x"), false, 500, headers())).isEmpty();
    assertThat(Invalidation.keysToInvalidate(SITE, req("DELETE", "/x"), false, 404, headers())).isEmpty();
  }

  @Test
  void safeMethodInvalidatesNothing() {
    assertThat(Invalidation.keysToInvalidate(SITE, req("GET", "/x"), false, 200, headers())).isEmpty();
    assertThat(Invalidation.keysToInvalidate(SITE, req("OPTIONS", "/x"), false, 200, headers())).isEmpty();
  }

  @Test
  void extensionMethodIsTreatedAsUnsafe() {
    assertThat(Invalidation.keysToInvalidate(SITE, req("PURGEX", "/x"), false, 204, headers())).hasSize(1);
  }

  /** "...MAY invalidate the URI(s) in the Location and Content-Location response header fields". */
  @Test
  void sameHostLocationAndContentLocationAreInvalidated() {
    var keys = Invalidation.keysToInvalidate(SITE, req("POST", "/items"), true, 201,
        headers("Location", "/items/7", "Content-Location", "https://www.example.com/items/7?x=1"));
    assertThat(keys).containsExactly(getKey("/items"), getKey("/items/7"), getKey("/items/7?x=1"));
  }

  /** A reference to another origin must not invalidate anything (it could be another site's). */
  @Test
  void otherHostLocationIsNotInvalidated() {
    var keys = Invalidation.keysToInvalidate(SITE, req("POST", "/items"), true, 303,
        headers("Location", "https://other.example/items/7", "Content-Location", "//www.example.com/x"));
    assertThat(keys).containsExactly(getKey("/items"));
  }

  /** "...if the origin ... of the URI to be invalidated differs": the scheme is part of the origin. */
  @Test
  void sameHostLocationOfAnotherSchemeIsNotInvalidated() {
    var keys = Invalidation.keysToInvalidate(SITE, req("POST", "/items"), false, 201,
        headers("Location", "https://www.example.com/items/7"));
    assertThat(keys).containsExactly(getKey("/items"));
  }

  @Test
  void malformedReferenceIsSkipped() {
    var keys = Invalidation.keysToInvalidate(SITE, req("PUT", "/a"), false, 200,
        headers("Location", "/bad%zz"));
    assertThat(keys).containsExactly(getKey("/a"));
  }
}
