package dev.kasoku.metrics;

class EmbeddedDeltaFoldingTest extends DeltaFoldingTest {
  @Override
  protected boolean redis() {
    return false;
  }
}
