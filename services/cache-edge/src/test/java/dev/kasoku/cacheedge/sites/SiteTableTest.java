package dev.kasoku.cacheedge.sites;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.model.SiteVersion;
import dev.kasoku.common.store.Store;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.TempStores;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The routing table against a real embedded store. The embedded store runs its operations one at a
 * time in the order they were asked for, which lets a test place a site write exactly between the
 * steps of a reload that is already running.
 */
@Timeout(30)
class SiteTableTest {
  private static final String HOST = "reload.example.com";

  private Vertx vertx;
  private Path dir;
  private Store store;
  private SiteTable table;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    dir = TempStores.newDirectory();
    store = TempStores.embedded(vertx, dir);
    table = new SiteTable(store.sites());
  }

  @AfterEach
  void tearDown() {
    Await.result(store.close());
    Await.result(vertx.close());
    TempStores.deleteRecursively(dir);
  }

  /**
   * Regression: a reload asked for while another was running was only noted for later and reported
   * done at once, so its caller saw the table without the version it had just written (a config
   * change acknowledged before the edge served it, or an edge opening its listeners on an empty table).
   */
  @Test
  void reloadAskedForDuringAnotherCompletesOnlyOnceTheTableHoldsTheNewerVersion() {
    Await.result(put(1));
    Await.result(table.reload());
    Context ctx = vertx.getOrCreateContext();
    Promise<Long> seen = Promise.promise();
    ctx.runOnContext(v -> {
      // the write is queued ahead of the first reload's reads, so the write's answer arrives while
      // that reload is still running
      Future<SiteVersion> written = put(2);
      Future<Void> first = table.reload();
      written.compose(w -> table.reload())
          .map(done -> table.lookup(HOST).version())
          .onComplete(seen);
      first.onFailure(seen::tryFail);
    });

    assertThat(Await.result(seen.future())).isEqualTo(2L);
  }

  @Test
  void overlappingReloadsAndWritesEndOnTheNewestVersion() {
    Await.result(put(1));
    Context ctx = vertx.getOrCreateContext();
    Promise<Void> all = Promise.promise();
    ctx.runOnContext(v -> {
      List<Future<?>> steps = new ArrayList<>();
      Future<?> chain = Future.succeededFuture();
      for (long n = 2; n <= 20; n++) {
        long version = n;
        steps.add(table.reload());
        chain = chain.compose(x -> put(version)).compose(x -> table.reload());
        steps.add(chain);
      }
      Future.all(steps).<Void>mapEmpty().onComplete(all);
    });
    Await.result(all.future());

    assertThat(table.lookup(HOST).version()).isEqualTo(20L);
    assertThat(table.size()).isEqualTo(1);
  }

  private Future<SiteVersion> put(long version) {
    String json = "{\"hostnames\":[\"" + HOST + "\"],\"origins\":[{\"url\":\"http://127.0.0.1:9\"}]}";
    return store.sites().put("acme", "reload", List.of(HOST), json, "test", Instant.EPOCH);
  }
}
