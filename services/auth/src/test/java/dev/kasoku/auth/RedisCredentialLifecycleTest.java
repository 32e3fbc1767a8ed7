package dev.kasoku.auth;

import dev.kasoku.auth.testing.StoreBackend;

class RedisCredentialLifecycleTest extends CredentialLifecycleTest {
  @Override
  protected StoreBackend backend() {
    return StoreBackend.redis();
  }
}
