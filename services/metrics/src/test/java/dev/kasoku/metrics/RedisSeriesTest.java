package dev.kasoku.metrics;

class RedisSeriesTest extends SeriesTest {
  @Override
  protected boolean redis() {
    return true;
  }
}
