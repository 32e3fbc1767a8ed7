package dev.kasoku.launcher.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.api.ApiRouter;
import dev.kasoku.common.config.ConfigLoader;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.FreePorts;
import dev.kasoku.launcher.Launcher;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two promises every API answer keeps, whichever service answers and however it ends, checked on
 * the real monolith (every role in one process):
 * <ul>
 *   <li>{@code Cache-Control: no-store}: answers can hold secrets shown once and one tenant's data,
 *       so no shared cache on the way may keep them — success, problem, 404 of an unknown path, 413
 *       of a body too large, health and the contract document alike;</li>
 *   <li>one timestamp form: RFC 3339, UTC, exactly three fraction digits, in every answer of every
 *       service (auth wrote {@code yyyy}, config {@code uuuu}, and purge the bus codec's
 *       nanoseconds before they shared one formatter).</li>
 * </ul>
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ApiAnswersTest {
  private static final String OPERATOR = "answers-operator-token-with-32-characters-at-least";
  private static final String PASSWORD = "tulip-Harbour-91-kettle";
  /** Anything that starts like a date-time must be exactly the API's form. */
  private static final Pattern LOOKS_LIKE_TIME = Pattern.compile("^\\d{4}-\\d{2}-\\d{2}T.*");
  private static final Pattern API_TIME = Pattern.compile("^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$");

  @TempDir Path dataDir;
  private Vertx vertx;
  private WebClient http;
  private Launcher launcher;
  private final List<String> missingNoStore = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    http = WebClient.create(vertx, new WebClientOptions().setKeepAlive(false));
    List<Integer> ports = FreePorts.take(2);
    launcher = Launcher.start(ConfigLoader.load(Map.of(
        "KASOKU_DATA_DIR", dataDir.toString(),
        "KASOKU_BIND_ADDRESS", "127.0.0.1",
        "KASOKU_API_PORT", "0",
        "KASOKU_EDGE_PORT", String.valueOf(ports.get(0)),
        "KASOKU_EDGE_TLS_PORT", String.valueOf(ports.get(1)),
        "KASOKU_SECRET_KEY", "answers-secret-key-with-at-least-32-characters",
        "KASOKU_BOOTSTRAP_TOKEN", OPERATOR,
        "KASOKU_ALLOWED_ORIGIN_NETWORKS", "127.0.0.0/8",
        "KASOKU_SHUTDOWN_GRACE", "1s",
        "KASOKU_EDGE_WARMUP", "1s"))).await(60, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    if (launcher != null) {
      launcher.stop().await(30, TimeUnit.SECONDS);
    }
    Await.result(vertx.close());
  }

  @Test
  void everyAnswerOfEveryOperationCarriesNoStoreWhateverItsStatus() throws Exception {
    JsonObject tenant = call(HttpMethod.POST, "/v1/tenants", OPERATOR, new JsonObject().put("name", "Walk")).json;
    String t = tenant.getString("id");
    String admin = tenant.getString("adminApiKey");
    String doomed = call(HttpMethod.POST, "/v1/tenants", OPERATOR, new JsonObject().put("name", "Doomed")).json
        .getString("id");

    OpenAPIContract contract = Await.result(ApiRouter.contract(vertx));
    int calls = 0;
    for (Operation op : contract.operations()) {
      String path = op.getOpenAPIPath()
          .replace("{t}", "deleteTenant".equals(op.getOperationId()) ? doomed : t)
          .replace("{u}", "nobody").replace("{k}", "0000000000000000").replace("{s}", "no-site")
          .replace("{n}", "1").replace("{id}", "no-purge");
      HttpMethod method = op.getHttpMethod();
      JsonObject body = method == HttpMethod.POST || method == HttpMethod.PUT || method == HttpMethod.PATCH
          ? new JsonObject() : null;
      for (String credential : new String[] {null, "ksk_not_a_real_key", admin, OPERATOR}) {
        call(method, path, credential, body);
        calls++;
      }
    }
    call(HttpMethod.GET, "/no/such/path", admin, null);
    call(HttpMethod.GET, "/openapi.yaml", null, null);
    call(HttpMethod.PUT, "/v1/tenants/" + t + "/sites/big", admin,
        new JsonObject().put("hostnames", new JsonArray().add("x".repeat((int) ApiRouter.MAX_BODY_BYTES))));
    call(HttpMethod.POST, "/v1/tenants/" + t + "/users", admin, null, Buffer.buffer("{not json"));

    assertThat(calls).isGreaterThan(4 * 20);
    assertThat(missingNoStore).isEmpty();
  }

  @Test
  void everyTimestampInEveryServicesAnswersHasTheOneApiForm() throws Exception {
    Answer created = call(HttpMethod.POST, "/v1/tenants", OPERATOR, new JsonObject().put("name", "Times"));
    String t = created.json.getString("id");
    String admin = created.json.getString("adminApiKey");
    List<Answer> answers = new ArrayList<>(List.of(created));
    answers.add(call(HttpMethod.POST, "/v1/tenants/" + t + "/users", admin,
        new JsonObject().put("username", "alice").put("password", PASSWORD).put("role", "admin")));
    answers.add(call(HttpMethod.GET, "/v1/tenants/" + t + "/users", admin, null));
    answers.add(call(HttpMethod.GET, "/v1/tenants/" + t + "/account", admin, null));
    answers.add(call(HttpMethod.POST, "/v1/auth/login", null,
        new JsonObject().put("tenant", t).put("username", "alice").put("password", PASSWORD)));
    answers.add(call(HttpMethod.POST, "/v1/tenants/" + t + "/api-keys", admin,
        new JsonObject().put("name", "deploy").put("role", "purger")));
    answers.add(call(HttpMethod.GET, "/v1/tenants/" + t + "/api-keys", admin, null));
    answers.add(call(HttpMethod.PUT, "/v1/tenants/" + t + "/sites/www", admin, new JsonObject()
        .put("hostnames", new JsonArray().add("www.times.test"))
        .put("origins", new JsonArray().add(new JsonObject().put("url", "http://127.0.0.1:9"))).put("defaultTtl", "60s")));
    answers.add(call(HttpMethod.GET, "/v1/tenants/" + t + "/sites/www/versions", admin, null));
    answers.add(call(HttpMethod.GET, "/v1/tenants/" + t + "/notifications", admin, null));
    Answer purge = call(HttpMethod.POST, "/v1/tenants/" + t + "/purge", admin,
        new JsonObject().put("urls", new JsonArray().add("http://www.times.test/a")));
    answers.add(purge);
    answers.add(call(HttpMethod.GET, "/v1/tenants/" + t + "/purge/" + purge.json.getString("id"), admin, null));

    List<String> times = new ArrayList<>();
    for (Answer a : answers) {
      assertThat(a.status).as(a.path + ": " + a.json).isBetween(200, 299);
      collectTimes(a.path, a.json, times);
    }
    assertThat(times).as("timestamps seen")
        .anyMatch(s -> s.contains("createdAt")).anyMatch(s -> s.contains("expiresAt"))
        .anyMatch(s -> s.contains("updatedAt")).anyMatch(s -> s.contains(".ts="))
        .anyMatch(s -> s.contains("acceptedAt"));
    assertThat(times).allSatisfy(s -> assertThat(API_TIME.matcher(s.substring(s.indexOf('=') + 1)).matches())
        .as(s).isTrue());
  }

  private static void collectTimes(String where, Object value, List<String> out) {
    if (value instanceof JsonObject o) {
      o.forEach(e -> collectTimes(where + "." + e.getKey(), e.getValue(), out));
    } else if (value instanceof JsonArray a) {
      for (int i = 0; i < a.size(); i++) {
        collectTimes(where + "[" + i + "]", a.getValue(i), out);
      }
    } else if (value instanceof String s && LOOKS_LIKE_TIME.matcher(s).matches()) {
      out.add(where + "=" + s);
    }
  }

  private record Answer(String path, int status, JsonObject json) {}

  private Answer call(HttpMethod method, String path, String credential, JsonObject body) {
    return call(method, path, credential, body, body == null ? null : body.toBuffer());
  }

  private Answer call(HttpMethod method, String path, String credential, JsonObject ignored, Buffer raw) {
    HttpRequest<Buffer> req = http.request(method, launcher.apiPort(), "127.0.0.1", path);
    if (credential != null) {
      req.bearerTokenAuthentication(credential);
    }
    if (raw != null) {
      req.putHeader("Content-Type", "application/json");
    }
    HttpResponse<Buffer> r = Await.result(raw == null ? req.send() : req.sendBuffer(raw));
    if (!"no-store".equals(r.getHeader("Cache-Control"))) {
      missingNoStore.add(method + " " + path + " -> " + r.statusCode() + " Cache-Control=" + r.getHeader("Cache-Control"));
    }
    JsonObject json;
    try {
      json = r.body() == null || r.body().length() == 0 ? new JsonObject() : r.bodyAsJsonObject();
    } catch (RuntimeException notJson) {
      json = new JsonObject().put("text", r.bodyAsString());
    }
    return new Answer(path, r.statusCode(), json);
  }
}
