package dev.kasoku.cacheedge.policy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Cache-Status, RFC 9211, with the examples of API.md ("Edge response headers"). */
class CacheStatusTest {

  @Test
  void hitNamesTheCache() {
    assertThat(CacheStatus.hit().value()).isEqualTo("Kasoku; hit");
  }

  @Test
  void missThatWasStored() {
    assertThat(CacheStatus.fwd(CacheStatus.Fwd.MISS).stored().value()).isEqualTo("Kasoku; fwd=miss; stored");
  }

  @Test
  void staleRevalidatedWithNotModified() {
    assertThat(CacheStatus.fwd(CacheStatus.Fwd.STALE).fwdStatus(304).value())
        .isEqualTo("Kasoku; fwd=stale; fwd-status=304");
  }

  /** RFC 9211 §2.4: ttl may be negative for a stale response served. */
  @Test
  void staleHitHasNegativeTtlAndDetail() {
    assertThat(CacheStatus.hit().ttl(-5).detail("stale-while-revalidate").value())
        .isEqualTo("Kasoku; hit; ttl=-5; detail=stale-while-revalidate");
  }

  @Test
  void parametersComeOutInTheRfcOrder() {
    assertThat(CacheStatus.fwd(CacheStatus.Fwd.URI_MISS).collapsed().detail("x").ttl(10).fwdStatus(200)
        .stored().value()).isEqualTo("Kasoku; fwd=uri-miss; fwd-status=200; ttl=10; stored; collapsed; detail=x");
  }

  /** RFC 8941: a detail that is not a token is written as a quoted sf-string. */
  @Test
  void detailThatIsNotATokenIsQuoted() {
    assertThat(CacheStatus.fwd(CacheStatus.Fwd.BYPASS).detail("two words \"q\"").value())
        .isEqualTo("Kasoku; fwd=bypass; detail=\"two words \\\"q\\\"\"");
  }

  @Test
  void keyIsAlwaysQuoted() {
    assertThat(CacheStatus.hit().key("t:s:GET:h/a").value()).isEqualTo("Kasoku; hit; key=\"t:s:GET:h/a\"");
  }
}
