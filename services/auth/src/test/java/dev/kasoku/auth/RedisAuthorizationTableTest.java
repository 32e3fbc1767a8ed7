package dev.kasoku.auth;

import dev.kasoku.auth.testing.StoreBackend;

class RedisAuthorizationTableTest extends AuthorizationTableTest {
  @Override
  protected StoreBackend backend() {
    return StoreBackend.redis();
  }
}
