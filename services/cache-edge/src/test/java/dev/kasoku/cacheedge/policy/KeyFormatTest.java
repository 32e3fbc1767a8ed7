package dev.kasoku.cacheedge.policy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The key format parses back what it builds. */
class KeyFormatTest {
  private static final String KEY = KeyFormat.primary(KeyFormat.sitePrefix("t-1", "s-1"), "GET", "h.example:8080",
      "/a:b/c?x=1:2");

  @Test
  void uriIsReadBackFromTheKeyEvenWhenItHoldsColons() {
    assertThat(KEY).isEqualTo("t-1:s-1:GET:h.example:8080/a:b/c?x=1:2");
    assertThat(KeyFormat.uri(KEY)).isEqualTo("/a:b/c?x=1:2");
    assertThat(KeyFormat.endsWithUri(KEY, "/a:b/c?x=1:2")).isTrue();
    assertThat(KeyFormat.endsWithUri(KEY, "/a:b/c")).isFalse();
  }

  @Test
  void methodClassIsReplacedInPlace() {
    String post = KeyFormat.primary(KeyFormat.sitePrefix("t-1", "s-1"), "POST", "h.example", "/x");
    assertThat(KeyFormat.withMethodClass(post, KeyFormat.GET_CLASS)).isEqualTo("t-1:s-1:GET:h.example/x");
  }

  @Test
  void aKeyOfAnotherFormHasNoUri() {
    assertThat(KeyFormat.uri("tenant|host|GET|/x")).isNull();
  }

  @Test
  void fullKeyAddsTheSecondaryPartOnlyUnderVary() {
    assertThat(KeyFormat.full(KEY, "")).isEqualTo(KEY);
    assertThat(KeyFormat.printable(KeyFormat.full(KEY, "gzip"))).isEqualTo(KEY + "|gzip");
  }
}
