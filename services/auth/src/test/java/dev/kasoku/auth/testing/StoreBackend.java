package dev.kasoku.auth.testing;

import dev.kasoku.common.store.Store;
import dev.kasoku.common.store.embedded.EmbeddedStore;
import dev.kasoku.common.store.redis.RedisStore;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.TestRedis;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/** Which store a test suite runs against; each suite has one subclass per backend. */
public interface StoreBackend {
  Store open(Vertx vertx, Clock clock, Path dir);

  /** Cleans what the store left behind (Redis keys); the directory is removed by the caller. */
  default void cleanUp(Vertx vertx, Store store) {
  }

  /** Every key the store holds for the tenant (Redis); null when the backend has no key space. */
  default List<String> tenantKeys(Store store, String tenant) {
    return null;
  }

  /** The embedded store (H2 MVStore) in the test's temporary directory, on the test's clock. */
  static StoreBackend embedded() {
    return (vertx, clock, dir) -> Await.result(EmbeddedStore.open(vertx, dir.resolve("store"), clock));
  }

  /** The test Redis ({@code KASOKU_TEST_REDIS_URL}) under a random key root, deleted afterwards. */
  static StoreBackend redis() {
    String root = TestRedis.randomRoot();
    return new StoreBackend() {
      @Override
      public Store open(Vertx vertx, Clock clock, Path dir) {
        return new RedisStore(vertx, TestRedis.url(), root, Duration.ofSeconds(5), clock);
      }

      @Override
      public void cleanUp(Vertx vertx, Store store) {
        TestRedis.deleteAll(vertx, root);
      }

      @Override
      public List<String> tenantKeys(Store store, String tenant) {
        RedisStore redis = (RedisStore) store;
        String prefix = redis.tenantPrefix(tenant);
        return Await.result(redis.allKeys()).stream().filter(k -> k.startsWith(prefix)).toList();
      }
    };
  }
}
