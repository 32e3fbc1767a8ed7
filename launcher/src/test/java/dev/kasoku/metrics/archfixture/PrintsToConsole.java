package dev.kasoku.metrics.archfixture;

/** Deliberate violations for ArchitectureRulesTest: console output instead of the logger. */
public final class PrintsToConsole {
  public void out() {
    System.out.println("hello");
  }

  public void trace(Exception e) {
    e.printStackTrace();
  }
}
