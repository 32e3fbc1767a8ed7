package dev.kasoku.auth;

import dev.kasoku.auth.testing.StoreBackend;

class RedisOperatorBootstrapTest extends OperatorBootstrapTest {
  @Override
  protected StoreBackend backend() {
    return StoreBackend.redis();
  }
}
