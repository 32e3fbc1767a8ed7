package dev.kasoku.auth;

import dev.kasoku.auth.testing.StoreBackend;

class RedisIpAllowlistTest extends IpAllowlistTest {
  @Override
  protected StoreBackend backend() {
    return StoreBackend.redis();
  }
}
