package dev.kasoku.cacheedge.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Cache-Control parsing, RFC 9111 §5.2 and §1.2.2, §4.2.1. */
class CacheControlParsingTest {

  @Test
  void directiveNamesAreCaseInsensitive() {
    CacheControl cc = CacheControl.parse("Max-Age=60, NO-STORE");
    assertThat(cc.maxAge()).isEqualTo(60);
    assertThat(cc.noStore()).isTrue();
  }

  /** §5.2: "recipients ought to accept both forms, even if a specific form is required". */
  @Test
  void quotedDeltaSecondsAreAccepted() {
    assertThat(CacheControl.parse("max-age=\"120\"").maxAge()).isEqualTo(120);
  }

  /** §4.2.1: invalid freshness information → consider the response stale. */
  @Test
  void invalidMaxAgeMakesTheResponseStale() {
    assertThat(CacheControl.parse("max-age=abc").maxAge()).isZero();
    assertThat(CacheControl.parse("max-age").maxAge()).isZero();
    assertThat(CacheControl.parse("s-maxage=-5").sMaxAge()).isZero();
  }

  /** §4.2.1: conflicting duplicates → first occurrence or stale; we choose stale. */
  @Test
  void conflictingDuplicateMaxAgeMakesTheResponseStale() {
    assertThat(CacheControl.parse("max-age=60, max-age=3600").maxAge()).isZero();
  }

  @Test
  void identicalDuplicateMaxAgeIsKept() {
    assertThat(CacheControl.parse(List.of("max-age=60", "max-age=60")).maxAge()).isEqualTo(60);
  }

  /** §1.2.2: a delta-seconds too large is replaced with 2147483648. */
  @Test
  void overflowingDeltaSecondsAreCapped() {
    assertThat(CacheControl.parse("max-age=99999999999999999999999").maxAge())
        .isEqualTo(2_147_483_648L);
  }

  @Test
  void directivesAcrossSeveralFieldLinesCombine() {
    CacheControl cc = CacheControl.parse(List.of("public", "s-maxage=10, must-revalidate"));
    assertThat(cc.isPublic()).isTrue();
    assertThat(cc.sMaxAge()).isEqualTo(10);
    assertThat(cc.mustRevalidate()).isTrue();
  }

  /** §5.2.2.7: private with field names is the qualified form. */
  @Test
  void qualifiedPrivateListsFieldNamesAndIsNotUnqualified() {
    CacheControl cc = CacheControl.parse("private=\"Set-Cookie, X-User\", max-age=60");
    assertThat(cc.isPrivate()).isFalse();
    assertThat(cc.privateFields()).containsExactly("set-cookie", "x-user");
    assertThat(cc.maxAge()).isEqualTo(60);
  }

  @Test
  void unqualifiedPrivateWinsOverQualified() {
    CacheControl cc = CacheControl.parse("private=\"x\", private");
    assertThat(cc.isPrivate()).isTrue();
  }

  /** §5.2.2.4: qualified no-cache; we treat it as unqualified for revalidation. */
  @Test
  void qualifiedNoCacheListsFieldNames() {
    CacheControl cc = CacheControl.parse("no-cache=\"set-cookie\"");
    assertThat(cc.noCache()).isFalse();
    assertThat(cc.noCacheAnyForm()).isTrue();
    assertThat(cc.noCacheFields()).containsExactly("set-cookie");
  }

  @Test
  void commaInsideQuotedStringDoesNotSplitDirectives() {
    CacheControl cc = CacheControl.parse("no-cache=\"a, b\", max-age=5");
    assertThat(cc.noCacheFields()).containsExactly("a", "b");
    assertThat(cc.maxAge()).isEqualTo(5);
  }

  /** §5.2.3: unrecognised extension directives are ignored. */
  @Test
  void unknownExtensionDirectivesAreIgnored() {
    CacheControl cc = CacheControl.parse("community=\"UCI\", foo=bar, max-age=7");
    assertThat(cc.maxAge()).isEqualTo(7);
    assertThat(cc.isEmpty()).isFalse();
  }

  @Test
  void emptyAndWhitespaceOnlyValuesAreEmpty() {
    assertThat(CacheControl.parse("").isEmpty()).isTrue();
    assertThat(CacheControl.parse(" , ,").isEmpty()).isTrue();
  }

  @Test
  void unterminatedQuotedStringDoesNotThrow() {
    CacheControl cc = CacheControl.parse("no-cache=\"a, max-age=5");
    assertThat(cc.noCacheAnyForm()).isTrue();
  }

  /** §5.2.1.2: max-stale without a value means any staleness. */
  @Test
  void maxStaleWithoutValueIsUnlimited() {
    assertThat(CacheControl.parse("max-stale").maxStale()).isEqualTo(CacheControl.UNLIMITED);
    assertThat(CacheControl.parse("max-stale=30").maxStale()).isEqualTo(30);
  }

  @Test
  void requestDirectivesAreParsed() {
    CacheControl cc = CacheControl.parse("no-cache, min-fresh=10, only-if-cached, no-store");
    assertThat(cc.noCache()).isTrue();
    assertThat(cc.minFresh()).isEqualTo(10);
    assertThat(cc.onlyIfCached()).isTrue();
    assertThat(cc.noStore()).isTrue();
  }

  /** RFC 5861 §3, §4. */
  @Test
  void staleExtensionsAreParsed() {
    CacheControl cc = CacheControl.parse("max-age=60, stale-while-revalidate=30, stale-if-error=600");
    assertThat(cc.staleWhileRevalidate()).isEqualTo(30);
    assertThat(cc.staleIfError()).isEqualTo(600);
  }

  @Test
  void whitespaceAroundEqualsIsTolerated() {
    assertThat(CacheControl.parse("max-age = 42").maxAge()).isEqualTo(42);
  }

  @Test
  void absentDirectivesReportAbsent() {
    CacheControl cc = CacheControl.parse("public");
    assertThat(cc.maxAge()).isEqualTo(CacheControl.ABSENT);
    assertThat(cc.sMaxAge()).isEqualTo(CacheControl.ABSENT);
    assertThat(cc.staleIfError()).isEqualTo(CacheControl.ABSENT);
  }

  /** RFC 9213 §2.1: the first targeted field with a valid, non-empty value wins; CC ignored. */
  @Test
  void cdnCacheControlTakesPrecedenceOverCacheControl() {
    var h = TestSites.headers("Cache-Control", "no-store", "CDN-Cache-Control", "max-age=600");
    TargetedControls t = TargetedControls.select(h);
    assertThat(t.targeted()).isTrue();
    assertThat(t.source()).isEqualTo(TargetedControls.Source.CDN_CACHE_CONTROL);
    assertThat(t.directives().noStore()).isFalse();
    assertThat(t.directives().maxAge()).isEqualTo(600);
  }

  @Test
  void kasokuTargetedFieldTakesPrecedenceOverCdnCacheControl() {
    var h = TestSites.headers("CDN-Cache-Control", "max-age=600",
        "Kasoku-CDN-Cache-Control", "max-age=5");
    assertThat(TargetedControls.select(h).directives().maxAge()).isEqualTo(5);
  }

  @Test
  void surrogateControlTakesPrecedenceOverCacheControl() {
    var h = TestSites.headers("Cache-Control", "max-age=10", "Surrogate-Control", "max-age=3600");
    TargetedControls t = TargetedControls.select(h);
    assertThat(t.source()).isEqualTo(TargetedControls.Source.SURROGATE_CONTROL);
    assertThat(t.directives().maxAge()).isEqualTo(3600);
  }

  @Test
  void emptyTargetedFieldFallsBackToCacheControl() {
    var h = TestSites.headers("CDN-Cache-Control", "", "Cache-Control", "max-age=10");
    TargetedControls t = TargetedControls.select(h);
    assertThat(t.targeted()).isFalse();
    assertThat(t.directives().maxAge()).isEqualTo(10);
  }
}
