package dev.kasoku.purge;

import dev.kasoku.common.store.Store;
import dev.kasoku.common.testing.TempStores;
import io.vertx.core.Vertx;
import java.nio.file.Path;

/** The purge API over the embedded store (the monolithic default). */
class EmbeddedPurgeApiTest extends PurgeApiTest {
  private Path dir;

  @Override
  protected Store openStore(Vertx vertx) {
    dir = TempStores.newDirectory();
    return TempStores.embedded(vertx, dir);
  }

  @Override
  protected void dropStore(Vertx vertx) {
    TempStores.deleteRecursively(dir);
  }
}
