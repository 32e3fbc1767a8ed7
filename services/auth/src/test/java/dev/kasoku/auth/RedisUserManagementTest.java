package dev.kasoku.auth;

import dev.kasoku.auth.testing.StoreBackend;

class RedisUserManagementTest extends UserManagementTest {
  @Override
  protected StoreBackend backend() {
    return StoreBackend.redis();
  }
}
