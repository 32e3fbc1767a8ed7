package dev.kasoku.common.store.redis;

import static dev.kasoku.common.testing.Await.result;

import dev.kasoku.common.store.Store;
import dev.kasoku.common.store.StoreContractTest;
import dev.kasoku.common.testing.TestRedis;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * The store contract against {@link RedisStore} on the real Redis at {@code KASOKU_TEST_REDIS_URL},
 * under a random key root per test; every key under it is deleted afterwards.
 */
class RedisStoreContractTest extends StoreContractTest {
  private final List<String> roots = new ArrayList<>();

  @Override
  protected Store openStore(Vertx vertx, Clock clock) {
    String root = TestRedis.randomRoot();
    roots.add(root);
    return TestRedis.store(vertx, root, clock);
  }

  @Override
  protected void cleanUp() {
    for (String root : roots) {
      TestRedis.deleteAll(vertx, root);
      // nothing of this test may remain
      RedisStore check = TestRedis.store(vertx, root);
      try {
        org.assertj.core.api.Assertions.assertThat(result(check.allKeys())).isEmpty();
      } finally {
        result(check.close());
      }
    }
    roots.clear();
  }

  /** SCAN MATCH {@code <root>:t:<tenant>:*}: every key of the tenant's namespace. */
  @Override
  protected List<String> namespaceOf(String tenant) {
    return result(((RedisStore) store).namespaceKeys(tenant));
  }
}
