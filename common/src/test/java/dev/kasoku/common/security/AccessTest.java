package dev.kasoku.common.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kasoku.common.model.TenantRole;
import org.junit.jupiter.api.Test;

class AccessTest {
  @Test
  void rulesParse() {
    assertThat(Access.parse("public")).isEqualTo(Access.PUBLIC);
    assertThat(Access.parse("operator")).isEqualTo(Access.OPERATOR);
    assertThat(Access.parse("authenticated")).isEqualTo(Access.AUTHENTICATED);
    assertThat(Access.parse("tenant:purger")).isEqualTo(Access.tenant(TenantRole.PURGER));
    assertThat(Access.parse("tenant:admin").toString()).isEqualTo("tenant:admin");
  }

  @Test
  void unknownRulesAreRefusedNotDefaulted() {
    for (Object bad : new Object[] {"tenant:root", "tenant:", "anyone", "", 3, null}) {
      assertThatThrownBy(() -> Access.parse(bad)).isInstanceOf(IllegalArgumentException.class);
    }
  }
}
