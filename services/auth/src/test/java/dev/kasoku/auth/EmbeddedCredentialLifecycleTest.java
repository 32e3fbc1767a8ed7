package dev.kasoku.auth;

import dev.kasoku.auth.testing.StoreBackend;

class EmbeddedCredentialLifecycleTest extends CredentialLifecycleTest {
  @Override
  protected StoreBackend backend() {
    return StoreBackend.embedded();
  }
}
