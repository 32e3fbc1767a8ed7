package dev.kasoku.metrics;

class EmbeddedStatsApiTest extends StatsApiTest {
  @Override
  protected boolean redis() {
    return false;
  }
}
