package dev.kasoku.auth.impl;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PasswordPolicyTest {
  private final PasswordPolicy policy = new PasswordPolicy();

  @Test
  void commonPasswordsAreRefusedAlsoWithAffixesAndLetterSwaps() {
    for (String p : new String[] {"passwordpassword", "Password2024!", "P@ssw0rd123456", "!!Sunshine2023!!",
        "qwertyuiopasdf", "correcthorsebatterystaple", "Dragon_1234567", "1qaz2wsx3edc"}) {
      assertThat(policy.problems("someone", p)).as(p).contains("password: is a commonly used password");
    }
  }

  @Test
  void theUsernameShortLengthAndFewDistinctCharactersAreRefused() {
    assertThat(policy.problems("maria", "maria-rocks-hard-9")).contains("password: must not contain the username");
    assertThat(policy.problems("maria", "Maria")).contains("password: must not contain the username",
        "password: must be at least 12 characters");
    assertThat(policy.problems("maria", "abababababab")).contains("password: must have at least 5 different characters");
  }

  @Test
  void aLongUncommonPasswordPasses() {
    assertThat(policy.problems("maria", "tulip-Harbour-91-kettle")).isEmpty();
    assertThat(policy.problems("maria", "Kaffee mit Milch und Zucker")).isEmpty();
  }
}
