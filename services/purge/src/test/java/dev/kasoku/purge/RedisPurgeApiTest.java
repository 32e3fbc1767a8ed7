package dev.kasoku.purge;

import dev.kasoku.common.store.Store;
import dev.kasoku.common.testing.TestRedis;
import io.vertx.core.Vertx;

/** The purge API over the Redis store (KASOKU_TEST_REDIS_URL), under a random key root. */
class RedisPurgeApiTest extends PurgeApiTest {
  private String root;

  @Override
  protected Store openStore(Vertx vertx) {
    root = TestRedis.randomRoot();
    return TestRedis.store(vertx, root);
  }

  @Override
  protected void dropStore(Vertx vertx) {
    TestRedis.deleteAll(vertx, root);
  }
}
