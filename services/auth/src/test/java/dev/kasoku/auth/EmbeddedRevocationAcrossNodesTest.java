package dev.kasoku.auth;

import dev.kasoku.auth.testing.StoreBackend;

class EmbeddedRevocationAcrossNodesTest extends RevocationAcrossNodesTest {
  @Override
  protected StoreBackend backend() {
    return StoreBackend.embedded();
  }
}
