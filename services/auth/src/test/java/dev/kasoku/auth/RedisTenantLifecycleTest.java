package dev.kasoku.auth;

import dev.kasoku.auth.testing.StoreBackend;

class RedisTenantLifecycleTest extends TenantLifecycleTest {
  @Override
  protected StoreBackend backend() {
    return StoreBackend.redis();
  }
}
