package dev.kasoku.cacheedge.policy;

import static dev.kasoku.cacheedge.policy.TestSites.headers;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.cacheedge.policy.TargetedControls.Source;
import org.junit.jupiter.api.Test;

/** Targeted cache control, RFC 9213: the selection of a field and the reading of its Dictionary. */
class TargetedControlsTest {

  /**
   * §2.1: "If a targeted field in a given response is empty, or a parsing error is encountered, that
   * field SHOULD be ignored by the cache (i.e., it should behave as if the field were not present,
   * likely falling back to other cache-control mechanisms present)": its valid-looking max-age is
   * not used, and Cache-Control: no-store decides.
   */
  @Test
  void aCdnCacheControlThatIsNotADictionaryIsIgnoredAsAWhole() {
    TargetedControls t = TargetedControls.select(headers("CDN-Cache-Control", "max-age=10000, &&&&&",
        "Cache-Control", "no-store"));
    assertThat(t.targeted()).isFalse();
    assertThat(t.source()).isEqualTo(Source.CACHE_CONTROL);
    assertThat(t.directives().noStore()).isTrue();
    assertThat(t.directives().maxAge()).isEqualTo(CacheControl.ABSENT);
  }

  @Test
  void spacesAroundTheEqualsSignMakeTheFieldInvalid() {
    for (String v : new String[] {"max-age =100", "max-age= 100"}) {
      TargetedControls t = TargetedControls.select(headers("Cache-Control", "max-age=1", "CDN-Cache-Control", v));
      assertThat(t.source()).as(v).isEqualTo(Source.CACHE_CONTROL);
      assertThat(t.directives().maxAge()).as(v).isEqualTo(1);
    }
  }

  /**
   * §2.1: directives are mapped onto types (max-age an Integer) and "Implementations SHOULD NOT
   * consume values that violate these inferred constraints": a String max-age leaves the field
   * unconsumed, and Cache-Control decides.
   */
  @Test
  void aDirectiveOfTheWrongTypeLeavesTheFieldUnconsumed() {
    for (String v : new String[] {"max-age=\"10000\"", "max-age=10.5", "max-age=-1", "max-age=(1 2)",
        "no-store=1", "no-store=\"yes\"", "private=1", "s-maxage=?1"}) {
      TargetedControls t = TargetedControls.select(headers("CDN-Cache-Control", v, "Cache-Control", "no-store"));
      assertThat(t.source()).as(v).isEqualTo(Source.CACHE_CONTROL);
      assertThat(t.directives().noStore()).as(v).isTrue();
    }
  }

  /** §2.2: the first field of the target list with a valid, non-empty value is selected. */
  @Test
  void anInvalidFieldGivesWayToTheNextOnTheTargetList() {
    TargetedControls t = TargetedControls.select(headers("Kasoku-CDN-Cache-Control", "max-age=5;", "CDN-Cache-Control",
        "max-age=600"));
    assertThat(t.source()).isEqualTo(Source.CDN_CACHE_CONTROL);
    assertThat(t.directives().maxAge()).isEqualTo(600);
  }

  /** §2.1: the directives as Structured Field values: Integers, Booleans, field names as a String. */
  @Test
  void aValidDictionaryGivesItsDirectives() {
    TargetedControls t = TargetedControls.select(headers("CDN-Cache-Control",
        "max-age=60, stale-while-revalidate=30, must-revalidate, no-cache=\"set-cookie, x-a\", foobar=(1 2);p"));
    assertThat(t.source()).isEqualTo(Source.CDN_CACHE_CONTROL);
    CacheControl cc = t.directives();
    assertThat(cc.maxAge()).isEqualTo(60);
    assertThat(cc.staleWhileRevalidate()).isEqualTo(30);
    assertThat(cc.mustRevalidate()).isTrue();
    assertThat(cc.noCacheFields()).containsExactly("set-cookie", "x-a");
  }

  /** RFC 8941 §3.1.2: parameters on a directive are ignored; a Boolean false is no directive. */
  @Test
  void parametersAreIgnoredAndFalseIsAbsent() {
    CacheControl cc = TargetedControls.select(headers("CDN-Cache-Control", "max-age=60;foo=bar, no-store=?0, private"))
        .directives();
    assertThat(cc.maxAge()).isEqualTo(60);
    assertThat(cc.noStore()).isFalse();
    assertThat(cc.isPrivate()).isTrue();
  }

  /** RFC 9111 §1.2.2 still applies: an Integer beyond 2^31 is read as 2147483648. */
  @Test
  void aHugeMaxAgeIsCapped() {
    assertThat(TargetedControls.select(headers("CDN-Cache-Control", "max-age=99999999999")).directives().maxAge())
        .isEqualTo(CacheControl.DELTA_SECONDS_CAP);
  }

  /**
   * §3.1: "Cache-Control: no-store" with "CDN-Cache-Control: none" lets CDNs store: an unknown
   * directive makes the field non-empty, and Cache-Control is then ignored.
   */
  @Test
  void anUnknownDirectiveStillSelectsTheField() {
    TargetedControls t = TargetedControls.select(headers("Cache-Control", "no-store", "CDN-Cache-Control", "none"));
    assertThat(t.targeted()).isTrue();
    assertThat(t.directives().noStore()).isFalse();
  }

  /** Surrogate-Control is not a Structured Field: its Cache-Control-like syntax is still read. */
  @Test
  void surrogateControlKeepsItsOwnSyntax() {
    TargetedControls t = TargetedControls.select(headers("Surrogate-Control", "MAX-AGE = 3600"));
    assertThat(t.source()).isEqualTo(Source.SURROGATE_CONTROL);
    assertThat(t.directives().maxAge()).isEqualTo(3600);
  }
}
