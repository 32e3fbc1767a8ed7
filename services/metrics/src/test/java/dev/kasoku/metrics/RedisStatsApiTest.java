package dev.kasoku.metrics;

class RedisStatsApiTest extends StatsApiTest {
  @Override
  protected boolean redis() {
    return true;
  }
}
