package dev.kasoku.common.archfixture.a;

import dev.kasoku.common.archfixture.b.B;

/** A deliberate violation for ArchitectureRulesTest: half of a package cycle. */
public final class A {
  public B b() {
    return new B();
  }
}
