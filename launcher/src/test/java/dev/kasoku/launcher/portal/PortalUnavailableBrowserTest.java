package dev.kasoku.launcher.portal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.config.ConfigLoader;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.FreePorts;
import dev.kasoku.common.testing.RedisServerProcess;
import dev.kasoku.launcher.Launcher;
import dev.kasoku.launcher.e2e.MonolithEnv;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.support.ui.Select;

/**
 * When the API answers 503 (here: the monolith's Redis store, a redis-server this test started, is
 * killed under a logged-in portal), the page says plainly that the service is temporarily
 * unavailable, that nothing is lost, and offers a retry — in English and Japanese — instead of an
 * empty page or a bare status code.
 */
class PortalUnavailableBrowserTest {
  private static final String OPERATOR = "portal-503-operator-token-with-at-least-32-characters";
  private static final String SECRET = "portal-503-secret-key-with-at-least-32-characters!";
  private static final String PASSWORD = "correct horse battery staple 42";

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void whenTheStoreIsDownTheApisAnswer503IsExplainedWithARetry() throws Exception {
    Path dataDir = Files.createTempDirectory("kasoku-portal-503-");
    Vertx vertx = Vertx.vertx();
    WebClient http = WebClient.create(vertx);
    RedisServerProcess redis = RedisServerProcess.start();
    Launcher launcher = null;
    try {
      List<Integer> ports = FreePorts.take(2);
      Map<String, String> env = MonolithEnv.of(dataDir, ports.get(0), ports.get(1), SECRET, OPERATOR);
      env.put("KASOKU_REDIS_URL", redis.url());
      launcher = Launcher.start(ConfigLoader.load(env)).await(60, TimeUnit.SECONDS);
      int api = launcher.apiPort();
      HttpResponse<Buffer> created = Await.result(http.request(HttpMethod.POST, api, "127.0.0.1", "/v1/tenants")
          .bearerTokenAuthentication(OPERATOR).sendJsonObject(new JsonObject().put("name", "Outage")));
      assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
      String tenant = created.bodyAsJsonObject().getString("id");
      HttpResponse<Buffer> user = Await.result(http.request(HttpMethod.POST, api, "127.0.0.1", "/v1/tenants/" + tenant + "/users")
          .bearerTokenAuthentication(created.bodyAsJsonObject().getString("adminApiKey"))
          .sendJsonObject(new JsonObject().put("username", "olga").put("password", PASSWORD).put("role", "viewer")));
      assertThat(user.statusCode()).as(user.bodyAsString()).isEqualTo(201);

      try (Browser b = new Browser("unavailable", "en-US")) {
        b.open("http://127.0.0.1:" + api + "/portal/");
        b.waitFor("#login-form");
        b.login(tenant, "olga", PASSWORD);
        b.waitFor("#tile-requests");
        redis.kill();
        b.find("#nav-sites").click();
        b.waitFor(".problem[data-status='503']");
        assertThat(b.find(".problem[data-status='503']").getText())
            .contains("Temporarily unavailable").contains("(503)").contains("retry");
        assertThat(b.find("#retry").isDisplayed()).isTrue();
        assertThat(b.all("#login-form")).as("a 503 is not a logout").isEmpty();
        b.screenshot("503-en");
        new Select(b.find("#lang")).selectByValue("ja");
        b.waitForText(".problem[data-status='503']", "一時的に利用できません");
        b.screenshot("503-ja");
        b.find("#retry").click();
        b.waitForText(".problem[data-status='503']", "一時的に利用できません");
      }
    } finally {
      if (launcher != null) {
        if (!redis.running()) {
          redis.restart();
        }
        launcher.stop().await(30, TimeUnit.SECONDS);
      }
      redis.close();
      Await.result(vertx.close());
    }
  }
}
