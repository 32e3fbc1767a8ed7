package dev.kasoku.metrics;

class RedisDeltaFoldingTest extends DeltaFoldingTest {
  @Override
  protected boolean redis() {
    return true;
  }
}
