package dev.kasoku.config;

import dev.kasoku.common.bus.RecordCodec;
import dev.kasoku.common.config.ConfigLoader;
import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.api.ApiRouter;
import dev.kasoku.common.http.Health;
import dev.kasoku.common.model.TenantRole;
import dev.kasoku.common.security.ApiKeys;
import dev.kasoku.common.service.ServiceContext;
import dev.kasoku.common.store.Store;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.TestCredentials;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * A real config service behind the real API router and access gate, on a loopback port, over a
 * real store. Tenants and API keys are created in the store directly (the auth service is not part
 * of this module).
 */
public final class ConfigApiFixture implements AutoCloseable {
  public static final String SECRET = "config-tests-secret-key-of-32-characters-or-more";

  public final Vertx vertx;
  public final Store store;
  public final KasokuConfig config;
  public final WebClient client;
  private final HttpServer server;
  private final String deploymentId;

  private ConfigApiFixture(Vertx vertx, Store store, KasokuConfig config, HttpServer server, String deploymentId) {
    this.vertx = vertx;
    this.store = store;
    this.config = config;
    this.server = server;
    this.deploymentId = deploymentId;
    this.client = WebClient.create(vertx);
  }

  /** Config for tests: a secret key, data dir, and the given extra settings. */
  public static KasokuConfig config(Path dataDir, Map<String, String> extra) {
    Map<String, String> env = new HashMap<>();
    env.put("KASOKU_SECRET_KEY", SECRET);
    env.put("KASOKU_DATA_DIR", dataDir.toString());
    env.put("KASOKU_BIND_ADDRESS", "127.0.0.1");
    env.put("KASOKU_EDGE_PORT", "0");
    env.put("KASOKU_EDGE_TLS_PORT", "0");
    env.put("KASOKU_API_PORT", "0");
    env.putAll(extra);
    return ConfigLoader.load(env);
  }

  /** Starts the API with the config service on a free loopback port (call from the test thread). */
  public static ConfigApiFixture start(Vertx vertx, Store store, KasokuConfig config, Clock clock) {
    try {
      RecordCodec.registerAll(vertx);
    } catch (IllegalStateException alreadyRegistered) {
      // a second fixture on the same Vertx
    }
    ApiRouter api = Await.result(ApiRouter.load(vertx));
    ServiceContext ctx = new ServiceContext(config, store, new Health(), api, clock);
    String id = Await.result(vertx.deployVerticle(new ConfigVerticle(ctx)));
    HttpServer server = Await.result(vertx.createHttpServer().requestHandler(api.build()).listen(0, "127.0.0.1"));
    return new ConfigApiFixture(vertx, store, config, server, id);
  }

  public int port() {
    return server.actualPort();
  }

  /** Creates a tenant and returns an API key of that role for it. */
  public String tenantKey(String tenant, TenantRole role) {
    return TestCredentials.apiKey(store, tenant, role);
  }

  /** Another key for an existing tenant. */
  public String key(String tenant, TenantRole role) {
    ApiKeys.Generated k = ApiKeys.generate(tenant, "test-" + role.id(), role, Instant.now());
    Await.result(store.apiKeys().create(k.stored()));
    return k.key();
  }

  public Future<HttpResponse<Buffer>> call(HttpMethod method, String path, String key, JsonObject body) {
    var req = client.request(method, port(), "127.0.0.1", path);
    if (key != null) {
      req.bearerTokenAuthentication(key);
    }
    return body == null ? req.send() : req.sendJsonObject(body);
  }

  public HttpResponse<Buffer> put(String tenant, String site, String key, JsonObject body) {
    return Await.result(call(HttpMethod.PUT, "/v1/tenants/" + tenant + "/sites/" + site, key, body));
  }

  public HttpResponse<Buffer> get(String path, String key) {
    return Await.result(call(HttpMethod.GET, path, key, null));
  }

  public HttpResponse<Buffer> post(String path, String key) {
    return Await.result(call(HttpMethod.POST, path, key, null));
  }

  public HttpResponse<Buffer> delete(String path, String key) {
    return Await.result(call(HttpMethod.DELETE, path, key, null));
  }

  @Override
  public void close() {
    client.close();
    Await.result(server.close());
    Await.result(vertx.undeploy(deploymentId));
  }
}
