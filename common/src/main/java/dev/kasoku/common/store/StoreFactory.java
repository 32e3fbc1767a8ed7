package dev.kasoku.common.store;

import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.store.embedded.EmbeddedStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * Chooses the process's one store from the configuration: Redis when {@code KASOKU_REDIS_URL} is
 * set (several processes share it), otherwise the embedded store in
 * {@code <KASOKU_DATA_DIR>/store/} (one process owns it).
 */
public final class StoreFactory {
  /** Sub-directory of the data directory that holds the embedded store. */
  public static final String EMBEDDED_DIR = "store";

  private StoreFactory() {}

  /** Opens the configured store; fails with {@link StoreUnavailableException} when it cannot. */
  public static Future<Store> open(Vertx vertx, KasokuConfig config) {
    if (config.redisUrl().isPresent()) {
      return Future.failedFuture(new StoreUnavailableException("the Redis store is not built yet", null));
    }
    return EmbeddedStore.open(vertx, config.dataDir().resolve(EMBEDDED_DIR));
  }
}
