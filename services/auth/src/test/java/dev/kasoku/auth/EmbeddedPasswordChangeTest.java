package dev.kasoku.auth;

import dev.kasoku.auth.testing.StoreBackend;

class EmbeddedPasswordChangeTest extends PasswordChangeTest {
  @Override
  protected StoreBackend backend() {
    return StoreBackend.embedded();
  }
}
