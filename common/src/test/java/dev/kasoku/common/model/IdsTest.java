package dev.kasoku.common.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class IdsTest {

  @Test
  void acceptsLowerCaseLettersDigitsAndInnerDashesUpTo63Characters() {
    assertTrue(Ids.isValid("a"));
    assertTrue(Ids.isValid("0"));
    assertTrue(Ids.isValid("acme-corp-2"));
    assertTrue(Ids.isValid("a-"));
    assertTrue(Ids.isValid("a".repeat(63)));
  }

  @Test
  void refusesWhatCouldEscapeATenantsKeySpace() {
    assertFalse(Ids.isValid(null));
    assertFalse(Ids.isValid(""));
    assertFalse(Ids.isValid("-acme"));
    assertFalse(Ids.isValid("Acme"));
    assertFalse(Ids.isValid("acme:x"));
    assertFalse(Ids.isValid("acme*"));
    assertFalse(Ids.isValid("acme/../x"));
    assertFalse(Ids.isValid("acme corp"));
    assertFalse(Ids.isValid("ａcme")); // a full-width letter is not [a-z]
    assertFalse(Ids.isValid("a".repeat(64)));
  }

  /** The hand-written check accepts exactly the language of the published pattern. */
  @Test
  void agreesWithThePatternOnRandomStrings() {
    Random random = new Random(42);
    String alphabet = "abz09-A:*_./ \u00e9";
    List<String> samples = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      int len = random.nextInt(70);
      StringBuilder b = new StringBuilder(len);
      for (int j = 0; j < len; j++) {
        // mostly valid characters, so that long valid ids are generated too
        b.append(random.nextInt(10) < 8 ? "abz09-".charAt(random.nextInt(6)) : alphabet.charAt(random.nextInt(alphabet.length())));
      }
      samples.add(b.toString());
    }
    for (String s : samples) {
      assertEquals(Ids.VALID.matcher(s).matches(), Ids.isValid(s), s);
    }
  }
}
