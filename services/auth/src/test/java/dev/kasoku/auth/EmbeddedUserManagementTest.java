package dev.kasoku.auth;

import dev.kasoku.auth.testing.StoreBackend;

class EmbeddedUserManagementTest extends UserManagementTest {
  @Override
  protected StoreBackend backend() {
    return StoreBackend.embedded();
  }
}
