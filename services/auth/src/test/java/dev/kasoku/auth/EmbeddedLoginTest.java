package dev.kasoku.auth;

import dev.kasoku.auth.testing.StoreBackend;

class EmbeddedLoginTest extends LoginTest {
  @Override
  protected StoreBackend backend() {
    return StoreBackend.embedded();
  }
}
