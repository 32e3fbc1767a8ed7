package dev.kasoku.auth;

import dev.kasoku.auth.testing.StoreBackend;

class EmbeddedIpAllowlistTest extends IpAllowlistTest {
  @Override
  protected StoreBackend backend() {
    return StoreBackend.embedded();
  }
}
