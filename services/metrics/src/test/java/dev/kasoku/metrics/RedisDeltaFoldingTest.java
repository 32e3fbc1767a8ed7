package dev.kasoku.metrics;

import dev.kasoku.common.store.Store;
import dev.kasoku.common.testing.TestRedis;
import io.vertx.core.Vertx;

class RedisDeltaFoldingTest extends DeltaFoldingTest {
  private String root;

  @Override
  protected Store openStore(Vertx vertx) {
    if (root == null) {
      root = TestRedis.randomRoot();
    }
    return TestRedis.store(vertx, root);
  }

  @Override
  protected void cleanUp() {
    TestRedis.deleteAll(vertx, root);
  }
}
