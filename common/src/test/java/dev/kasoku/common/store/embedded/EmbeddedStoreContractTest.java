package dev.kasoku.common.store.embedded;

import dev.kasoku.common.store.Store;
import dev.kasoku.common.store.StoreContractTest;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.TempStores;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.List;

/** The store contract against {@link EmbeddedStore} in a fresh temporary directory per test. */
class EmbeddedStoreContractTest extends StoreContractTest {
  private Path dir;

  @Override
  protected Store openStore(Vertx vertx) {
    dir = TempStores.newDirectory();
    return TempStores.embedded(vertx, dir);
  }

  @Override
  protected void cleanUp() {
    TempStores.deleteRecursively(dir);
  }

  @Override
  protected List<String> namespaceOf(String tenant) {
    return Await.result(((EmbeddedStore) store).namespaceMaps(tenant));
  }
}
