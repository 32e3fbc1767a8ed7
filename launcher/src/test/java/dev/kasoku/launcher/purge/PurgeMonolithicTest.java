package dev.kasoku.launcher.purge;

import static dev.kasoku.launcher.purge.PurgeFixtures.get;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.cacheedge.CacheEdgeVerticle;
import dev.kasoku.cacheedge.EdgeSettings;
import dev.kasoku.common.bus.RecordCodec;
import dev.kasoku.common.config.ConfigLoader;
import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.api.ApiRouter;
import dev.kasoku.common.http.Health;
import dev.kasoku.common.model.TenantRole;
import dev.kasoku.common.service.ServiceContext;
import dev.kasoku.common.store.Store;
import dev.kasoku.common.testing.TempStores;
import dev.kasoku.common.testing.TestCredentials;
import dev.kasoku.purge.PurgeVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The monolithic default: one process, local event bus, embedded store, the edge and the purge
 * service side by side with default settings. A purge through the API is applied to the edge and
 * completes with its ack.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class PurgeMonolithicTest {

  @Test
  void purgeThroughTheApiEmptiesTheLocalEdge() throws Exception {
    Vertx vertx = Vertx.vertx();
    RecordCodec.registerAll(vertx);
    Path dir = TempStores.newDirectory();
    Store store = TempStores.embedded(vertx, dir);
    TestOriginServer origin = new TestOriginServer(vertx);
    HttpClient http = vertx.createHttpClient();
    WebClient web = WebClient.create(vertx);
    try {
      String key = TestCredentials.apiKey(store, "solo", TenantRole.PURGER);
      PurgeFixtures.site(store, "solo", "www", "www.solo.test", origin.url());
      KasokuConfig config = ConfigLoader.load(Map.of("KASOKU_NODE_ID", "local", "KASOKU_EDGE_PORT", "0",
          "KASOKU_BIND_ADDRESS", "127.0.0.1", "KASOKU_ALLOWED_ORIGIN_NETWORKS", "127.0.0.0/8", "KASOKU_EDGE_WARMUP", "1s",
          // a configured key: without one, dev mode would write a key file into the working directory
          "KASOKU_SECRET_KEY", "purge-test-secret-key-of-at-least-32-chars"));
      ApiRouter router = ApiRouter.load(vertx).await(10, TimeUnit.SECONDS);
      ServiceContext ctx = new ServiceContext(config, store, new Health(), router, Clock.systemUTC());
      CacheEdgeVerticle edge = new CacheEdgeVerticle(ctx, EdgeSettings.from(config).withInstances(1));
      vertx.deployVerticle(edge).await(30, TimeUnit.SECONDS);
      vertx.deployVerticle(new PurgeVerticle(ctx)).await(10, TimeUnit.SECONDS);
      HttpServer api = vertx.createHttpServer().requestHandler(router.build()).listen(0, "127.0.0.1")
          .await(10, TimeUnit.SECONDS);

      get(http, edge.port(), "www.solo.test", "/index.html");
      assertThat(get(http, edge.port(), "www.solo.test", "/index.html").hit()).isTrue();
      origin.bump("www.solo.test", "/index.html");

      JsonObject status = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (status == null || status.getJsonArray("nodes").isEmpty()) {
        // until the edge's first heartbeat is in, the purge service expects no edge
        assertThat(System.nanoTime()).isLessThan(deadline);
        HttpResponse<Buffer> r = web.post(api.actualPort(), "127.0.0.1", "/v1/tenants/solo/purge")
            .addQueryParam("wait", "true").bearerTokenAuthentication(key)
            .sendJsonObject(new JsonObject().put("urls", new JsonArray().add("https://www.solo.test/index.html")))
            .await(30, TimeUnit.SECONDS);
        assertThat(r.statusCode()).isEqualTo(202);
        status = r.bodyAsJsonObject();
      }
      assertThat(status.getString("status")).isEqualTo("done");
      assertThat(status.getJsonObject("acked").getMap()).containsOnlyKeys("local");
      PurgeFixtures.Resp after = get(http, edge.port(), "www.solo.test", "/index.html");
      assertThat(after.hit()).isFalse();
      assertThat(after.body()).endsWith("v2");
    } finally {
      web.close();
      http.close().await(5, TimeUnit.SECONDS);
      origin.close();
      store.close().await(10, TimeUnit.SECONDS);
      vertx.close().await(10, TimeUnit.SECONDS);
      TempStores.deleteRecursively(dir);
    }
  }
}
