package dev.kasoku.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.auth.impl.OperatorBootstrap;
import dev.kasoku.auth.testing.AuthNode;
import dev.kasoku.auth.testing.ShiftedClock;
import dev.kasoku.auth.testing.StoreBackend;
import dev.kasoku.common.bus.RecordCodec;
import dev.kasoku.common.store.Store;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.TempStores;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Without KASOKU_BOOTSTRAP_TOKEN the first start generates an operator credential and logs it once;
 * later starts on the same store log nothing, and the credential keeps working.
 */
public abstract class OperatorBootstrapTest {
  private static final Pattern CREDENTIAL = Pattern.compile("kso_[0-9a-f]{64}");

  protected abstract StoreBackend backend();

  @Test
  void theGeneratedCredentialIsLoggedOnceAndWorksAcrossRestarts() {
    Vertx vertx = Vertx.vertx();
    RecordCodec.registerAll(vertx);
    Path dir = TempStores.newDirectory();
    StoreBackend backend = backend();
    ShiftedClock clock = new ShiftedClock();
    Store store = backend.open(vertx, clock, dir);
    List<LogRecord> logged = new CopyOnWriteArrayList<>();
    Logger logger = Logger.getLogger(OperatorBootstrap.class.getName());
    Handler capture = new Handler() {
      @Override
      public void publish(LogRecord record) {
        logged.add(record);
      }

      @Override
      public void flush() {
      }

      @Override
      public void close() {
      }
    };
    logger.addHandler(capture);
    Map<String, String> env = new HashMap<>();
    env.put("KASOKU_BOOTSTRAP_TOKEN", null);
    try {
      AuthNode first = AuthNode.start(vertx, store, clock, dir, env, true);
      assertThat(logged).hasSize(1);
      assertThat(logged.get(0).getLevel()).isEqualTo(Level.WARNING);
      Matcher m = CREDENTIAL.matcher(logged.get(0).getMessage());
      assertThat(m.find()).isTrue();
      String credential = m.group();
      assertThat(first.http.post("/v1/tenants", credential, new JsonObject().put("name", "Boot")).status()).isEqualTo(201);
      first.stop();

      AuthNode second = AuthNode.start(vertx, store, clock, dir, env, true);
      assertThat(logged).as("a later start logs nothing").hasSize(1);
      assertThat(second.http.post("/v1/tenants", credential, new JsonObject().put("name", "Boot 2")).status())
          .isEqualTo(201);
      assertThat(second.http.post("/v1/tenants", AuthNode.OPERATOR, new JsonObject().put("name", "x")).status())
          .as("no configured credential").isEqualTo(401);
      second.stop();
    } finally {
      logger.removeHandler(capture);
      Await.result(store.close());
      backend.cleanUp(vertx, store);
      Await.result(vertx.close());
      TempStores.deleteRecursively(dir);
    }
  }
}
