package dev.kasoku.metrics;

class EmbeddedSeriesTest extends SeriesTest {
  @Override
  protected boolean redis() {
    return false;
  }
}
