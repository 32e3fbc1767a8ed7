package dev.kasoku.auth;

import dev.kasoku.auth.testing.StoreBackend;

class RedisSessionCookieTest extends SessionCookieTest {
  @Override
  protected StoreBackend backend() {
    return StoreBackend.redis();
  }
}
