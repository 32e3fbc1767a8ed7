package dev.kasoku.metrics;

import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages.CounterDeltas;
import dev.kasoku.common.store.Store;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.TempStores;
import dev.kasoku.common.testing.TestRedis;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import java.nio.file.Path;
import dev.kasoku.common.model.Tenant;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * Two real metrics instances over a real store, with the tenants {@link #TENANTS} ({@link #openStore}: embedded in a temporary
 * directory or the test Redis under a random key root), stopped and cleaned after each test.
 */
abstract class MetricsTestBase {
  /** Tenants that exist in the store of every test (counters of unknown tenants are not folded). */
  protected static final List<String> TENANTS = List.of("acme", "other");
  protected Vertx vertx;
  protected Store store;
  protected MetricsFixture metrics;
  private Path dir;
  private Path storeDir;
  private String redisRoot;

  /** Which store the subclass runs against. */
  protected abstract boolean redis();

  protected Store openStore(Vertx vertx) {
    if (redis()) {
      if (redisRoot == null) {
        redisRoot = TestRedis.randomRoot();
      }
      return TestRedis.store(vertx, redisRoot);
    }
    if (storeDir == null) {
      storeDir = TempStores.newDirectory();
    }
    return TempStores.embedded(vertx, storeDir);
  }

  @BeforeEach
  void startMetrics() {
    vertx = Vertx.vertx();
    dir = TempStores.newDirectory();
    store = openStore(vertx);
    metrics = MetricsFixture.start(vertx, store, dir, Clock.systemUTC(), 2);
    for (String tenant : TENANTS) {
      Await.result(store.tenants().createTenant(new Tenant(tenant, tenant, "standard", List.of(), Instant.now())));
    }
  }

  @AfterEach
  void stopMetrics() {
    metrics.close();
    if (redisRoot != null) {
      TestRedis.deleteAll(vertx, redisRoot);
    }
    Await.result(store.close());
    Await.result(vertx.close());
    TempStores.deleteRecursively(dir);
    if (storeDir != null) {
      TempStores.deleteRecursively(storeDir);
    }
  }

  /** Sends a batch as an edge does and waits for its acknowledgement. */
  protected Object send(CounterDeltas batch) {
    return Await.result(Addresses.METRICS_EDGE.request(vertx.eventBus(), batch, new DeliveryOptions())).body();
  }
}
