package dev.kasoku.logging;

import dev.kasoku.common.store.Store;
import dev.kasoku.common.testing.TempStores;
import io.vertx.core.Vertx;
import java.nio.file.Path;

/** The audit trail over the embedded store. */
class EmbeddedAuditTrailTest extends AuditTrailTest {
  private Path dir;

  @Override
  protected Store openStore(Vertx vertx, Clock clock) {
    dir = TempStores.newDirectory();
    return TempStores.embedded(vertx, dir, clock.get());
  }

  @Override
  protected void cleanUp() {
    TempStores.deleteRecursively(dir);
  }
}
