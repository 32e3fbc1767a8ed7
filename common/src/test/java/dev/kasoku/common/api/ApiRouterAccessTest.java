package dev.kasoku.common.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kasoku.common.http.Health;
import dev.kasoku.common.bus.RecordCodec;
import dev.kasoku.common.config.ConfigLoader;
import dev.kasoku.common.model.TenantRole;
import dev.kasoku.common.security.Access;
import dev.kasoku.common.service.ServiceContext;
import dev.kasoku.common.store.Store;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.TempStores;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.RequestOptions;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every contract operation is guarded, also those of services this process does not run. */
class ApiRouterAccessTest {
  @Test
  void everyOperationHasARuleAndBuildRefusesAnUnboundRouter() {
    Vertx vertx = Vertx.vertx();
    try {
      ApiRouter api = Await.result(ApiRouter.load(vertx));
      assertThat(api.accessRules()).containsEntry("login", Access.PUBLIC)
          .containsEntry("createTenant", Access.OPERATOR)
          .containsEntry("purge", Access.tenant(TenantRole.PURGER));
      assertThatThrownBy(api::build).isInstanceOf(IllegalStateException.class);
    } finally {
      Await.result(vertx.close());
    }
  }

  @Test
  void anOperationWithoutItsServiceIsGuardedThenAnswers501() {
    Vertx vertx = Vertx.vertx();
    RecordCodec.registerAll(vertx);
    Path dir = TempStores.newDirectory();
    Store store = TempStores.embedded(vertx, dir.resolve("store"));
    try {
      ApiRouter api = Await.result(ApiRouter.load(vertx));
      new ServiceContext(ConfigLoader.load(Map.of("KASOKU_DATA_DIR", dir.toString(),
          "KASOKU_BOOTSTRAP_TOKEN", "an-operator-credential-for-this-test")), store, new Health(), api,
          Clock.systemUTC());
      HttpServer server = Await.result(vertx.createHttpServer().requestHandler(api.build()).listen(0, "127.0.0.1"));
      HttpClient client = vertx.createHttpClient();
      assertThat(status(client, server, HttpMethod.POST, "/v1/tenants", null)).isEqualTo(401);
      assertThat(status(client, server, HttpMethod.GET, "/v1/tenants/acme/sites", null)).isEqualTo(401);
      assertThat(status(client, server, HttpMethod.GET, "/v1/tenants/acme/sites", "an-operator-credential-for-this-test"))
          .isEqualTo(403);
      assertThat(status(client, server, HttpMethod.POST, "/v1/tenants", "an-operator-credential-for-this-test"))
          .as("passes the gate, then the contract wants a body").isEqualTo(400);
      assertThat(status(client, server, HttpMethod.POST, "/v1/auth/logout", "an-operator-credential-for-this-test"))
          .isEqualTo(501);
    } finally {
      Await.result(store.close());
      Await.result(vertx.close());
      TempStores.deleteRecursively(dir);
    }
  }

  private static int status(HttpClient client, HttpServer server, HttpMethod method, String path, String bearer) {
    RequestOptions o = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(server.actualPort())
        .setURI(path);
    if (bearer != null) {
      o.addHeader("Authorization", "Bearer " + bearer);
    }
    HttpClientResponse r = Await.result(client.request(o).compose(req -> req.send()));
    return r.statusCode();
  }
}
