package dev.kasoku.purge.archfixture;

import dev.kasoku.common.store.embedded.EmbeddedStore;

/** A deliberate violation for ArchitectureRulesTest: a service naming a store implementation. */
public final class OpensTheEmbeddedStore {
  public Class<?> implementation() {
    return EmbeddedStore.class;
  }
}
