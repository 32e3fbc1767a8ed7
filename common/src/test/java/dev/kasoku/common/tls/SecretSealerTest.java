package dev.kasoku.common.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SecretSealerTest {
  private final SecretSealer sealer = SecretSealer.forPurpose(
      "a-test-secret-of-at-least-32-characters".getBytes(StandardCharsets.UTF_8), "test");

  @Test
  void sealedValueOpensWithTheSameKeyAndContextAndHidesThePlaintext() {
    String sealed = sealer.seal("-----BEGIN PRIVATE KEY-----\nsecret\n", "site-tls:t1/s1");
    assertThat(sealed).startsWith(SecretSealer.PREFIX).doesNotContain("PRIVATE").doesNotContain("secret");
    assertThat(sealer.open(sealed, "site-tls:t1/s1")).isEqualTo("-----BEGIN PRIVATE KEY-----\nsecret\n");
  }

  @Test
  void sealingTwiceGivesDifferentCiphertexts() {
    assertThat(sealer.seal("x", "c")).isNotEqualTo(sealer.seal("x", "c"));
  }

  @Test
  void sealedValueDoesNotOpenInAnotherTenantsContext() {
    String sealed = sealer.seal("key", "site-tls:t1/s1");
    assertThatThrownBy(() -> sealer.open(sealed, "site-tls:t2/s1")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining(sealed);
  }

  @Test
  void sealedValueDoesNotOpenUnderAnotherSecretOrPurpose() {
    String sealed = sealer.seal("key", "c");
    SecretSealer otherSecret = SecretSealer.forPurpose(
        "another-secret-of-at-least-32-characters".getBytes(StandardCharsets.UTF_8), "test");
    SecretSealer otherPurpose = SecretSealer.forPurpose(
        "a-test-secret-of-at-least-32-characters".getBytes(StandardCharsets.UTF_8), "tokens");
    assertThatThrownBy(() -> otherSecret.open(sealed, "c")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> otherPurpose.open(sealed, "c")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void tamperedValueIsRefused() {
    String sealed = sealer.seal("key", "c");
    char last = sealed.charAt(sealed.length() - 2);
    String tampered = sealed.substring(0, sealed.length() - 2) + (last == 'A' ? 'B' : 'A') + sealed.charAt(sealed.length() - 1);
    assertThatThrownBy(() -> sealer.open(tampered, "c")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> sealer.open("v1:", "c")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> sealer.open("plain", "c")).isInstanceOf(IllegalArgumentException.class);
  }
}
