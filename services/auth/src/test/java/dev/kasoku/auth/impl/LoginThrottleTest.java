package dev.kasoku.auth.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LoginThrottleTest {
  @Test
  void delaysStartAtTheLimitDoubleAndAreCapped() {
    assertThat(LoginThrottle.delay(4, 5)).isZero();
    assertThat(LoginThrottle.delay(5, 5)).isEqualTo(Duration.ofSeconds(15));
    assertThat(LoginThrottle.delay(6, 5)).isEqualTo(Duration.ofSeconds(30));
    assertThat(LoginThrottle.delay(7, 5)).isEqualTo(Duration.ofSeconds(60));
    assertThat(LoginThrottle.delay(11, 5)).isEqualTo(LoginThrottle.MAX_DELAY);
    assertThat(LoginThrottle.delay(1_000_000, 5)).isEqualTo(LoginThrottle.MAX_DELAY);
  }

  @Test
  void sourceAddressesBecomeSafeKeyParts() {
    assertThat(LoginThrottle.sourceKey("127.0.0.1")).isEqualTo("127.0.0.1_32");
    assertThat(LoginThrottle.sourceKey("::1")).doesNotContain(":").doesNotContain("/");
    assertThat(LoginThrottle.sourceKey("x:*{evil}")).matches("h[0-9a-f]{32}");
  }
}
