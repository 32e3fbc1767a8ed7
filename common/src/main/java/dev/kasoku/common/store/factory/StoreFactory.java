package dev.kasoku.common.store.factory;

import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.store.Store;
import dev.kasoku.common.store.StoreUnavailableException;
import dev.kasoku.common.store.embedded.EmbeddedStore;
import dev.kasoku.common.store.redis.RedisStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * Chooses the process's one store from the configuration (this package, not the store SPI, knows
 * both implementations, so the SPI does not depend on them): Redis when {@code KASOKU_REDIS_URL} is
 * set (several processes share it), otherwise the embedded store in
 * {@code <KASOKU_DATA_DIR>/store/} (one process owns it).
 */
public final class StoreFactory {
  /** Sub-directory of the data directory that holds the embedded store. */
  public static final String EMBEDDED_DIR = "store";
  private static final System.Logger LOG = System.getLogger(StoreFactory.class.getName());

  private StoreFactory() {}

  /**
   * Opens the configured store. The embedded store fails with {@link StoreUnavailableException} when
   * its directory cannot be opened; the Redis store is returned even when Redis is down (logged),
   * because it reconnects by itself.
   */
  public static Future<Store> open(Vertx vertx, KasokuConfig config) {
    if (config.redisUrl().isPresent()) {
      RedisStore store = RedisStore.create(vertx, config.redisUrl().get());
      // Redis being down at start is not fatal: the store reconnects by itself and /readyz says so
      return store.ping()
          .onFailure(e -> LOG.log(System.Logger.Level.WARNING,
              "Redis store not reachable yet (" + e.getMessage() + "); it will be retried on every call"))
          .<Store>map(v -> store)
          .otherwise(store);
    }
    return EmbeddedStore.open(vertx, config.dataDir().resolve(EMBEDDED_DIR));
  }
}
