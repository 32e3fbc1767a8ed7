package dev.kasoku.auth.testing;

import dev.kasoku.auth.AuthVerticle;
import dev.kasoku.auth.impl.PasswordHasher;
import dev.kasoku.common.config.ConfigLoader;
import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.api.ApiRouter;
import dev.kasoku.common.http.Health;
import dev.kasoku.common.service.ServiceContext;
import dev.kasoku.common.store.Store;
import dev.kasoku.common.testing.Await;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

/**
 * One API node as a test starts it: a ServiceContext on the given store, the AuthVerticle
 * (optionally), and an HTTP server on a free loopback port serving {@code api.build()}.
 */
public final class AuthNode {
  /** The operator credential every test node is configured with. */
  public static final String OPERATOR = "test-operator-credential-0123456789abcdef";
  public static final String SECRET = "test-secret-key-0123456789abcdef0123456789";
  /**
   * Argon2id costs for the suites: the real algorithm and code path, at a cost that keeps hundreds of
   * logins fast on a shared CI machine. The production cost (PasswordHasher.Params.DEFAULT) is
   * exercised by PasswordHasherTest.
   */
  public static final PasswordHasher.Params TEST_HASH_PARAMS = new PasswordHasher.Params(1024, 1, 1);

  public final Vertx vertx;
  public final Store store;
  public final ApiRouter api;
  public final KasokuConfig config;
  public final Http http;
  private final HttpServer server;
  private final String deployment;

  private AuthNode(Vertx vertx, Store store, ApiRouter api, KasokuConfig config, HttpServer server,
                   String deployment) {
    this.vertx = vertx;
    this.store = store;
    this.api = api;
    this.config = config;
    this.server = server;
    this.deployment = deployment;
    this.http = new Http(vertx, server.actualPort());
  }

  /**
   * Starts a node. {@code env} adds or overrides settings (e.g. KASOKU_TRUSTED_PROXIES); the secret
   * key and operator credential default to the constants above.
   */
  public static AuthNode start(Vertx vertx, Store store, Clock clock, Path dataDir, Map<String, String> env,
                               boolean withAuthService) {
    Map<String, String> all = new HashMap<>();
    all.put("KASOKU_DATA_DIR", dataDir.toString());
    all.put("KASOKU_SECRET_KEY", SECRET);
    all.put("KASOKU_BOOTSTRAP_TOKEN", OPERATOR);
    all.putAll(env);
    all.values().removeIf(v -> v == null);
    KasokuConfig config = ConfigLoader.load(all);
    ApiRouter api = Await.result(ApiRouter.load(vertx));
    Health health = new Health();
    ServiceContext ctx = new ServiceContext(config, store, health, api, clock);
    String deployment = withAuthService
        ? Await.result(vertx.deployVerticle(new AuthVerticle(ctx, TEST_HASH_PARAMS), new DeploymentOptions()))
        : null;
    health.mount(api.extra());
    HttpServer server = Await.result(vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
        .requestHandler(api.build()).listen());
    return new AuthNode(vertx, store, api, config, server, deployment);
  }

  public void stop() {
    http.close();
    Await.result(server.close());
    if (deployment != null) {
      Await.result(vertx.undeploy(deployment));
    }
  }

  // ---- helpers for the common set-up steps ----

  /** A created tenant and its first admin key. */
  public record TenantAdmin(String id, String adminKey) {}

  public TenantAdmin createTenant(String name) {
    Http.Resp r = http.post("/v1/tenants", OPERATOR, new JsonObject().put("name", name));
    if (r.status() != 201) {
      throw new AssertionError("createTenant: " + r);
    }
    return new TenantAdmin(r.json().getString("id"), r.json().getString("adminApiKey"));
  }

  public void createUser(String tenant, String adminCredential, String username, String password, String role) {
    Http.Resp r = http.post("/v1/tenants/" + tenant + "/users", adminCredential,
        new JsonObject().put("username", username).put("password", password).put("role", role));
    if (r.status() != 201) {
      throw new AssertionError("createUser: " + r);
    }
  }

  public Http.Resp login(String tenant, String username, String password) {
    return http.post("/v1/auth/login", null,
        new JsonObject().put("tenant", tenant).put("username", username).put("password", password));
  }

  public String token(String tenant, String username, String password) {
    Http.Resp r = login(tenant, username, password);
    if (r.status() != 200) {
      throw new AssertionError("login: " + r);
    }
    return r.json().getString("token");
  }

  public String apiKey(String tenant, String adminCredential, String role) {
    Http.Resp r = http.post("/v1/tenants/" + tenant + "/api-keys", adminCredential,
        new JsonObject().put("name", role + " key").put("role", role));
    if (r.status() != 201) {
      throw new AssertionError("createApiKey: " + r);
    }
    return r.json().getString("key");
  }
}
