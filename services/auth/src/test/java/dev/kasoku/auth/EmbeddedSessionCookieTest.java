package dev.kasoku.auth;

import dev.kasoku.auth.testing.StoreBackend;

class EmbeddedSessionCookieTest extends SessionCookieTest {
  @Override
  protected StoreBackend backend() {
    return StoreBackend.embedded();
  }
}
