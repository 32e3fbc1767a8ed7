package dev.kasoku.auth;

import dev.kasoku.auth.testing.StoreBackend;

class RedisPasswordChangeTest extends PasswordChangeTest {
  @Override
  protected StoreBackend backend() {
    return StoreBackend.redis();
  }
}
