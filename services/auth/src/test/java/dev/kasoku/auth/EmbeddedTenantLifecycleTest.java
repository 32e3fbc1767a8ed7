package dev.kasoku.auth;

import dev.kasoku.auth.testing.StoreBackend;

class EmbeddedTenantLifecycleTest extends TenantLifecycleTest {
  @Override
  protected StoreBackend backend() {
    return StoreBackend.embedded();
  }
}
