package dev.kasoku.auth.testing;

import dev.kasoku.common.store.Store;
import dev.kasoku.common.store.embedded.EmbeddedStore;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.TempStores;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Clock;

/** Which store a test suite runs against; each suite has one subclass per backend. */
public interface StoreBackend {
  Store open(Vertx vertx, Clock clock, Path dir);

  /** Cleans what the store left behind (Redis keys); the directory is removed by the caller. */
  default void cleanUp(Store store) {
  }

  /** The embedded store (H2 MVStore) in the test's temporary directory, on the test's clock. */
  StoreBackend EMBEDDED = (vertx, clock, dir) -> Await.result(EmbeddedStore.open(vertx, dir.resolve("store"), clock));

  static Path tempDir() {
    return TempStores.newDirectory();
  }
}
