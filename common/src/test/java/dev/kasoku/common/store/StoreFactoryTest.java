package dev.kasoku.common.store;

import static dev.kasoku.common.testing.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.config.ConfigLoader;
import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.testing.TempStores;
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
}
