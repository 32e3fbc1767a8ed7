package dev.kasoku.cacheedge.policy;

import static dev.kasoku.cacheedge.policy.TestSites.headers;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Secondary keys, RFC 9111 §4.1. */
class VaryTest {

  @Test
  void responseWithoutVaryHasTheEmptySecondaryKey() {
    VaryKey v = VaryKey.of(headers());
    assertThat(v.isEmpty()).isTrue();
    assertThat(v.secondaryKey(headers("Accept-Encoding", "gzip"))).isEqualTo(VaryKey.NONE);
  }

  @Test
  void sameHeaderValueMatches() {
    VaryKey v = VaryKey.of(headers("Vary", "Accept-Encoding"));
    String stored = v.secondaryKey(headers("Accept-Encoding", "gzip"));
    assertThat(v.matches(stored, headers("accept-encoding", "gzip"))).isTrue();
  }

  @Test
  void differentHeaderValueDoesNotMatch() {
    VaryKey v = VaryKey.of(headers("Vary", "Accept-Encoding"));
    String stored = v.secondaryKey(headers("Accept-Encoding", "gzip"));
    assertThat(v.matches(stored, headers("Accept-Encoding", "br"))).isFalse();
  }

  /** §4.1: values may be normalised in ways known to have identical semantics (whitespace). */
  @Test
  void whitespaceDifferencesAreFolded() {
    VaryKey v = VaryKey.of(headers("Vary", "Accept-Language"));
    String stored = v.secondaryKey(headers("Accept-Language", "en,  fr"));
    assertThat(v.matches(stored, headers("Accept-Language", "  en, fr "))).isTrue();
  }

  /** §4.1: several field lines are combined as a list. */
  @Test
  void multipleFieldLinesCombineLikeOneCommaSeparatedLine() {
    VaryKey v = VaryKey.of(headers("Vary", "Accept"));
    String stored = v.secondaryKey(headers("Accept", "a", "Accept", "b"));
    assertThat(v.matches(stored, headers("Accept", "a, b"))).isTrue();
  }

  /** §4.1: a header absent in both requests matches; absent vs present does not. */
  @Test
  void absentHeaderMatchesOnlyAbsent() {
    VaryKey v = VaryKey.of(headers("Vary", "Origin"));
    String stored = v.secondaryKey(headers());
    assertThat(v.matches(stored, headers())).isTrue();
    assertThat(v.matches(stored, headers("Origin", ""))).isFalse();
    assertThat(v.matches(stored, headers("Origin", "https://a"))).isFalse();
  }

  @Test
  void varyNamesAreCaseInsensitiveAndOrderFree() {
    VaryKey a = VaryKey.of(headers("Vary", "Accept, Origin"));
    VaryKey b = VaryKey.of(headers("Vary", "origin", "Vary", "ACCEPT"));
    assertThat(a.fields()).isEqualTo(b.fields());
    var req = headers("Accept", "x", "Origin", "o");
    assertThat(a.secondaryKey(req)).isEqualTo(b.secondaryKey(req));
  }

  /** §4.1: "A stored response with a Vary header field value containing a member "*" always fails to match". */
  @Test
  void varyStarNeverMatches() {
    VaryKey v = VaryKey.of(headers("Vary", "Accept, *"));
    assertThat(v.star()).isTrue();
    assertThat(v.secondaryKey(headers())).isNull();
    assertThat(v.matches("", headers())).isFalse();
  }

  @Test
  void valuesCannotForgeAnotherFieldsEntry() {
    VaryKey v = VaryKey.of(headers("Vary", "A, B"));
    String k1 = v.secondaryKey(headers("A", "1\nb:2"));
    String k2 = v.secondaryKey(headers("A", "1", "B", "2"));
    assertThat(k1).isNotEqualTo(k2);
  }

  /**
   * RFC 9110 §12.5.4 and RFC 4647 §2: language ranges are case-insensitive, and the whitespace
   * around list elements is optional (RFC 9110 §5.6.1), so these spellings ask for the same
   * variant. Before this the edge kept one stored variant per spelling (cache-tests.fyi
   * vary-normalise-lang-case, vary-normalise-lang-space).
   */
  @Test
  void acceptLanguageSpellingsThatDifferOnlyInCaseOrWhitespaceMatch() {
    VaryKey v = VaryKey.of(headers("Vary", "Accept-Language"));
    String stored = v.secondaryKey(headers("Accept-Language", "en, de"));
    assertThat(v.matches(stored, headers("Accept-Language", "eN, De"))).isTrue();
    assertThat(v.matches(stored, headers("Accept-Language", " en ,   de"))).isTrue();
    assertThat(v.matches(stored, headers("Accept-Language", "en;q=1.0, DE"))).isTrue();
  }

  /**
   * RFC 9110 §12.5.4: the weights are the user's preferences, and between equal weights the order is
   * the only preference a server can see, so a different order or weight is another request.
   */
  @Test
  void acceptLanguageInAnotherOrderOrWithOtherWeightsDoesNotMatch() {
    VaryKey v = VaryKey.of(headers("Vary", "Accept-Language"));
    String stored = v.secondaryKey(headers("Accept-Language", "en, de"));
    assertThat(v.matches(stored, headers("Accept-Language", "de, en"))).isFalse();
    assertThat(v.matches(stored, headers("Accept-Language", "en, de;q=0.5"))).isFalse();
    assertThat(v.matches(stored, headers("Accept-Language", "en"))).isFalse();
  }

  /** RFC 9110 §12.5.3: order, case and whitespace of Accept-Encoding carry no meaning. */
  @Test
  void acceptEncodingSpellingsOfTheSameSetMatch() {
    VaryKey v = VaryKey.of(headers("Vary", "Accept-Encoding"));
    String stored = v.secondaryKey(headers("Accept-Encoding", "gzip, deflate, br"));
    assertThat(v.matches(stored, headers("Accept-Encoding", "br,GZIP, deflate"))).isTrue();
    assertThat(v.matches(stored, headers("Accept-Encoding", "gzip;q=1.0, deflate, br, gzip"))).isTrue();
  }

  @Test
  void acceptEncodingWithDifferentWeightsDoesNotMatch() {
    VaryKey v = VaryKey.of(headers("Vary", "Accept-Encoding"));
    String stored = v.secondaryKey(headers("Accept-Encoding", "gzip, br"));
    assertThat(v.matches(stored, headers("Accept-Encoding", "gzip, br;q=0"))).isFalse();
    assertThat(v.matches(stored, headers("Accept-Encoding", "gzip"))).isFalse();
  }
}
