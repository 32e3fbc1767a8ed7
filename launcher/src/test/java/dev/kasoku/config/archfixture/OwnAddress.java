package dev.kasoku.config.archfixture;

import io.vertx.core.Vertx;

/** A deliberate violation for ArchitectureRulesTest: an address declared outside common.bus. */
public final class OwnAddress {
  public void announce(Vertx vertx) {
    vertx.eventBus().publish("kasoku.config.shadow", "hello");
  }
}
