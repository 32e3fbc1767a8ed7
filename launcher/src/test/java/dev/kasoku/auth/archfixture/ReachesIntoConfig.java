package dev.kasoku.auth.archfixture;

import dev.kasoku.config.ConfigVerticle;

/** A deliberate violation for ArchitectureRulesTest: auth using a class of the config service. */
public final class ReachesIntoConfig {
  public Class<?> other() {
    return ConfigVerticle.class;
  }
}
