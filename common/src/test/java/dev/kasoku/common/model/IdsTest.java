package dev.kasoku.common.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdsTest {
  /** The alphabet as the class documents it, to check the hand-written test against. */
  private static final Pattern DOCUMENTED = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

  @ParameterizedTest
  @ValueSource(strings = {"a", "0", "acme", "acme-2", "a-", "9-a-b",
      "abcdefghijklmnopqrstuvwxyz0123456789-abcdefghijklmnopqrstuvwxyz"})
  void idsInTheAlphabetAreValid(String id) {
    assertThat(id.length()).isLessThanOrEqualTo(63);
    assertThat(Ids.isValid(id)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "-a", "Acme", "ac me", "a:b", "a*", "a_b", "a.b", "ä", "a/b", "a\n",
      "abcdefghijklmnopqrstuvwxyz0123456789-abcdefghijklmnopqrstuvwxyz0"})
  void anythingElseIsNot(String id) {
    assertThat(Ids.isValid(id)).isFalse();
  }

  @Test
  void nullIsNotValid() {
    assertThat(Ids.isValid(null)).isFalse();
  }

  @Test
  void agreesWithTheDocumentedAlphabetOnEveryShortString() {
    char[] chars = {'a', 'z', '0', '9', '-', 'A', ':', '_', '`', '{', '/', '@'};
    for (char a : chars) {
      assertThat(Ids.isValid(String.valueOf(a))).as("%s", a).isEqualTo(DOCUMENTED.matcher(String.valueOf(a)).matches());
      for (char b : chars) {
        String s = "" + a + b;
        assertThat(Ids.isValid(s)).as(s).isEqualTo(DOCUMENTED.matcher(s).matches());
      }
    }
  }

  @Test
  void randomIdsAreValid() {
    for (int i = 0; i < 100; i++) {
      assertThat(Ids.isValid(Ids.random(12))).isTrue();
    }
  }
}
