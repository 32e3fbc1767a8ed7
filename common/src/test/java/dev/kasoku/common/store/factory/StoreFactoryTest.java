package dev.kasoku.common.store.factory;

import dev.kasoku.common.store.Store;
import dev.kasoku.common.store.StoreUnavailableException;
import static dev.kasoku.common.testing.Await.failure;
import static dev.kasoku.common.testing.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.config.ConfigLoader;
import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.testing.FreePorts;
import dev.kasoku.common.testing.TempStores;
import dev.kasoku.common.testing.TestRedis;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class StoreFactoryTest {
  private Vertx vertx;
  private Path dataDir;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    dataDir = TempStores.newDirectory();
  }

  @AfterEach
  void tearDown() {
    result(vertx.close());
    TempStores.deleteRecursively(dataDir);
  }

  @Test
  void withoutARedisUrlTheEmbeddedStoreLivesInTheDataDirectory() {
    KasokuConfig config = ConfigLoader.load(Map.of("KASOKU_DATA_DIR", dataDir.toString()));
    Store store = result(StoreFactory.open(vertx, config));
    try {
      assertThat(store.kind()).isEqualTo("embedded");
      result(store.ping());
      assertThat(Files.isDirectory(dataDir.resolve(StoreFactory.EMBEDDED_DIR))).isTrue();
      assertThat(dataDir.resolve(StoreFactory.EMBEDDED_DIR).resolve("kasoku.mv.db")).exists();
    } finally {
      result(store.close());
    }
  }

  @Test
  void withARedisUrlTheStoreIsRedis() {
    KasokuConfig config = ConfigLoader.load(Map.of("KASOKU_DATA_DIR", dataDir.toString(),
        "KASOKU_REDIS_URL", TestRedis.url()));
    Store store = result(StoreFactory.open(vertx, config));
    try {
      assertThat(store.kind()).isEqualTo("redis");
      result(store.ping());
      assertThat(dataDir.resolve(StoreFactory.EMBEDDED_DIR)).doesNotExist();
    } finally {
      result(store.close());
    }
  }

  @Test
  void aRedisThatIsDownAtStartStillYieldsAStoreThatReportsUnavailable() {
    KasokuConfig config = ConfigLoader.load(Map.of("KASOKU_DATA_DIR", dataDir.toString(),
        "KASOKU_REDIS_URL", "redis://127.0.0.1:" + FreePorts.next()));
    Store store = result(StoreFactory.open(vertx, config));
    try {
      assertThat(failure(store.ping())).isInstanceOf(StoreUnavailableException.class);
    } finally {
      result(store.close());
    }
  }
}
