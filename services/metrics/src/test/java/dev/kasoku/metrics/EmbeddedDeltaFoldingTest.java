package dev.kasoku.metrics;

import dev.kasoku.common.store.Store;
import dev.kasoku.common.testing.TempStores;
import io.vertx.core.Vertx;
import java.nio.file.Path;

class EmbeddedDeltaFoldingTest extends DeltaFoldingTest {
  private Path storeDir;

  @Override
  protected Store openStore(Vertx vertx) {
    if (storeDir == null) {
      storeDir = TempStores.newDirectory();
    }
    return TempStores.embedded(vertx, storeDir);
  }

  @Override
  protected void cleanUp() {
    // the directory goes with the test's
  }
}
