package dev.kasoku.auth;

import dev.kasoku.auth.testing.StoreBackend;

class RedisRevocationAcrossNodesTest extends RevocationAcrossNodesTest {
  @Override
  protected StoreBackend backend() {
    return StoreBackend.redis();
  }
}
