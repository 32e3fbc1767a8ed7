package dev.kasoku.common.store.redis;

import static dev.kasoku.common.testing.Await.result;

import dev.kasoku.common.store.Store;
import dev.kasoku.common.store.StoreContractTest;
import dev.kasoku.common.testing.TestRedis;
import io.vertx.core.Vertx;
import java.util.List;

/**
 * The store contract against {@link RedisStore} on the real Redis at {@code KASOKU_TEST_REDIS_URL},
 * under a random key root per test; every key under it is deleted afterwards.
 */
class RedisStoreContractTest extends StoreContractTest {
  private String root;

  @Override
  protected Store openStore(Vertx vertx) {
    root = TestRedis.randomRoot();
    return TestRedis.store(vertx, root);
  }

  @Override
  protected void cleanUp() {
    TestRedis.deleteAll(vertx, root);
    // nothing of this test may remain
    RedisStore check = TestRedis.store(vertx, root);
    try {
      org.assertj.core.api.Assertions.assertThat(result(check.allKeys())).isEmpty();
    } finally {
      result(check.close());
    }
  }

  /** SCAN MATCH {@code <root>:t:<tenant>:*}: every key of the tenant's namespace. */
  @Override
  protected List<String> namespaceOf(String tenant) {
    return result(((RedisStore) store).namespaceKeys(tenant));
  }
}
