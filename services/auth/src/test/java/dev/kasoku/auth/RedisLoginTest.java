package dev.kasoku.auth;

import dev.kasoku.auth.testing.StoreBackend;

class RedisLoginTest extends LoginTest {
  @Override
  protected StoreBackend backend() {
    return StoreBackend.redis();
  }
}
