package dev.kasoku.config;

import dev.kasoku.common.store.Store;
import dev.kasoku.common.testing.TestRedis;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;

/** The site API over the Redis store (KASOKU_TEST_REDIS_URL), under a random key root per test. */
class RedisSiteApiTest extends SiteApiContractTest {
  private String root;

  @Override
  protected Store openStore(Vertx vertx, Path dataDir) {
    root = TestRedis.randomRoot();
    return TestRedis.store(vertx, root);
  }

  @AfterEach
  void dropKeys() {
    // runs before the base class closes the Vertx instance (subclass @AfterEach first)
    TestRedis.deleteAll(vertx, root);
  }
}
