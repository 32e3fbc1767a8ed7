package dev.kasoku.config;

import dev.kasoku.common.store.Store;
import dev.kasoku.common.testing.TempStores;
import io.vertx.core.Vertx;
import java.nio.file.Path;

/** The site API over the embedded store. */
class EmbeddedSiteApiTest extends SiteApiContractTest {
  @Override
  protected Store openStore(Vertx vertx, Path dataDir) {
    return TempStores.embedded(vertx, dataDir.resolve("store"));
  }
}
