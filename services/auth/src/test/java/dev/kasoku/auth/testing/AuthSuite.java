package dev.kasoku.auth.testing;

import dev.kasoku.common.bus.RecordCodec;
import dev.kasoku.common.model.Ids;
import dev.kasoku.common.store.Store;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.TempStores;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * Base of the auth suites: one Vert.x, one store of the subclass's backend and one API node with
 * the auth service per test class; tests isolate themselves with fresh tenants.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class AuthSuite {
  /** A password that passes the policy. */
  public static final String PASSWORD = "correct-Horse-7-battery";

  protected Vertx vertx;
  protected Store store;
  protected final ShiftedClock clock = new ShiftedClock();
  protected AuthNode node;
  protected Http http;
  private Path dir;

  /** The store backend: subclasses name one. */
  protected abstract StoreBackend backend();

  protected StoreBackend backend;

  /** Extra settings for the node (e.g. trusted proxies). */
  protected Map<String, String> env() {
    return Map.of();
  }

  @BeforeAll
  void startNode() {
    vertx = Vertx.vertx();
    RecordCodec.registerAll(vertx);
    dir = TempStores.newDirectory();
    backend = backend();
    store = backend.open(vertx, clock, dir);
    node = AuthNode.start(vertx, store, clock, dir, env(), true);
    http = node.http;
  }

  @AfterAll
  void stopNode() {
    if (node != null) {
      node.stop();
    }
    if (store != null) {
      Await.result(store.close());
      backend.cleanUp(vertx, store);
    }
    if (vertx != null) {
      Await.result(vertx.close());
    }
    TempStores.deleteRecursively(dir);
  }

  protected static String unique(String prefix) {
    return prefix + "-" + Ids.random(8);
  }
}
