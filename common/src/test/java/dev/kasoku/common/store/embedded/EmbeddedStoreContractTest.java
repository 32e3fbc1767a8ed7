package dev.kasoku.common.store.embedded;

import dev.kasoku.common.store.Store;
import dev.kasoku.common.store.StoreContractTest;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.TempStores;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/** The store contract against {@link EmbeddedStore} in a fresh temporary directory per test. */
class EmbeddedStoreContractTest extends StoreContractTest {
  private final List<Path> dirs = new ArrayList<>();

  @Override
  protected Store openStore(Vertx vertx, Clock clock) {
    Path dir = TempStores.newDirectory();
    dirs.add(dir);
    return TempStores.embedded(vertx, dir, clock);
  }

  @Override
  protected void cleanUp() {
    dirs.forEach(TempStores::deleteRecursively);
    dirs.clear();
  }

  @Override
  protected List<String> namespaceOf(String tenant) {
    return Await.result(((EmbeddedStore) store).namespaceMaps(tenant));
  }
}
