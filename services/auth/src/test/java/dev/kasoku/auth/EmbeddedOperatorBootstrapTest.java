package dev.kasoku.auth;

import dev.kasoku.auth.testing.StoreBackend;

class EmbeddedOperatorBootstrapTest extends OperatorBootstrapTest {
  @Override
  protected StoreBackend backend() {
    return StoreBackend.embedded();
  }
}
