package dev.kasoku.common.archfixture.b;

import dev.kasoku.common.archfixture.a.A;

/** A deliberate violation for ArchitectureRulesTest: the other half of a package cycle. */
public final class B {
  public A a() {
    return new A();
  }
}
