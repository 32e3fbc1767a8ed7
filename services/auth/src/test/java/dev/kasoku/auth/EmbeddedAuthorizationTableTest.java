package dev.kasoku.auth;

import dev.kasoku.auth.testing.StoreBackend;

class EmbeddedAuthorizationTableTest extends AuthorizationTableTest {
  @Override
  protected StoreBackend backend() {
    return StoreBackend.embedded();
  }
}
