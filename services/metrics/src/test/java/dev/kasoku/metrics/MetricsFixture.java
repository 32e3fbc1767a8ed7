package dev.kasoku.metrics;

import dev.kasoku.common.api.ApiRouter;
import dev.kasoku.common.bus.RecordCodec;
import dev.kasoku.common.config.ConfigLoader;
import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.http.Health;
import dev.kasoku.common.service.ServiceContext;
import dev.kasoku.common.store.Store;
import dev.kasoku.common.testing.Await;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Real metrics instances over one real store: {@code instances} verticles consume the edge address
 * side by side (the local bus round-robins between them, as the clustered bus does between
 * processes); the first one's API is served behind the real router and access gate on loopback.
 */
public final class MetricsFixture implements AutoCloseable {
  public static final String SECRET = "metrics-tests-secret-key-of-32-characters-or-more";

  public final Vertx vertx;
  public final Store store;
  public final WebClient client;
  private final HttpServer server;
  private final List<String> deployments;

  private MetricsFixture(Vertx vertx, Store store, HttpServer server, List<String> deployments) {
    this.vertx = vertx;
    this.store = store;
    this.server = server;
    this.deployments = deployments;
    this.client = WebClient.create(vertx);
  }

  public static KasokuConfig config(Path dataDir) {
    Map<String, String> env = new HashMap<>();
    env.put("KASOKU_SECRET_KEY", SECRET);
    env.put("KASOKU_DATA_DIR", dataDir.toString());
    env.put("KASOKU_BIND_ADDRESS", "127.0.0.1");
    env.put("KASOKU_API_PORT", "0");
    return ConfigLoader.load(env);
  }

  /** Starts the instances (call from the test thread). */
  public static MetricsFixture start(Vertx vertx, Store store, Path dataDir, Clock clock, int instances) {
    try {
      RecordCodec.registerAll(vertx);
    } catch (IllegalStateException alreadyRegistered) {
      // a second fixture on the same Vertx
    }
    KasokuConfig config = config(dataDir);
    List<String> ids = new ArrayList<>();
    ApiRouter served = null;
    for (int i = 0; i < instances; i++) {
      ApiRouter api = Await.result(ApiRouter.load(vertx));
      served = served == null ? api : served;
      ids.add(Await.result(vertx.deployVerticle(new MetricsVerticle(new ServiceContext(config, store, new Health(),
          api, clock)))));
    }
    HttpServer server = Await.result(vertx.createHttpServer().requestHandler(served.build()).listen(0, "127.0.0.1"));
    return new MetricsFixture(vertx, store, server, ids);
  }

  public HttpResponse<Buffer> get(String pathAndQuery, String key) {
    var req = client.get(server.actualPort(), "127.0.0.1", pathAndQuery);
    if (key != null) {
      req.bearerTokenAuthentication(key);
    }
    return Await.result(req.send());
  }

  @Override
  public void close() {
    client.close();
    Await.result(server.close());
    for (String id : deployments) {
      Await.result(vertx.undeploy(id));
    }
  }
}
