package dev.kasoku.logging.sink;

import static dev.kasoku.logging.sink.SinkHarness.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.model.AuditRecord;
import dev.kasoku.common.model.TenantRole;
import dev.kasoku.common.net.Cidr;
import dev.kasoku.common.net.OriginAddressPolicy;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.TestCredentials;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The log-sinks API: defaults filled in, bad input refused as a whole with every field named,
 * roles, the audit record, and the server-side request forgery guard of origins applied to sink
 * addresses (on a platform that allows only a documentation network, so loopback is refused too).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LogSinkApiTest {
  private SinkHarness logging;

  @BeforeEach
  void start() {
    logging = new SinkHarness(Map.of("KASOKU_ALLOWED_ORIGIN_NETWORKS", "192.0.2.0/24"));
  }

  @AfterEach
  void stop() {
    logging.close();
  }

  private static JsonObject list(JsonObject... sinks) {
    return new JsonObject().put("sinks", new JsonArray(List.of((Object[]) sinks)));
  }

  private static JsonObject http(String name, String url) {
    return new JsonObject().put("name", name).put("type", "http").put("url", url);
  }

  private static JsonObject syslog(String name, String address) {
    return new JsonObject().put("name", name).put("type", "syslog").put("address", address);
  }

  private List<String> errors(HttpResponse<Buffer> r) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(400);
    assertThat(r.getHeader("Content-Type")).startsWith("application/problem+json");
    return r.bodyAsJsonObject().getJsonArray("errors").stream().map(String::valueOf).toList();
  }

  @Test
  void aStoredListHasEveryDefaultAndANewSinkIsPending() {
    JsonObject view = logging.putSinks(list(http("siem", "http://192.0.2.10/ingest"), syslog("sys", "192.0.2.11:514")));
    JsonArray sinks = view.getJsonArray("sinks");
    JsonObject siem = sinks.getJsonObject(0);
    assertThat(siem.getString("period")).isEqualTo("1s");
    assertThat(siem.getInteger("maxBatchRecords")).isEqualTo(10_000);
    assertThat(siem.getDouble("sampleRate")).isEqualTo(1.0);
    assertThat(siem.getString("maxLag")).isEqualTo("24h");
    assertThat(siem.getLong("maxLagBytes")).isEqualTo(1L << 30);
    assertThat(siem.getBoolean("gzip")).isFalse();
    assertThat(siem.containsKey("id")).as("internal").isFalse();
    assertThat(siem.getJsonObject("health").getString("status")).isIn("pending", "ok");
    JsonObject sys = sinks.getJsonObject(1);
    assertThat(sys.getString("facility")).isEqualTo("local0");
    assertThat(sys.getString("appName")).isEqualTo("kasoku");
    assertThat(sys.getBoolean("tls")).isFalse();
    assertThat(logging.getSinks(logging.viewer).bodyAsJsonObject().getJsonArray("sinks")).hasSize(2);

    logging.putSinks(list());
    assertThat(logging.getSinks(logging.admin).bodyAsJsonObject().getJsonArray("sinks")).isEmpty();
  }

  @Test
  void oneBadSinkRefusesTheWholeListAndEveryProblemIsNamed() {
    logging.putSinks(list(http("keep", "http://192.0.2.10/ingest")));
    JsonObject bad = list(
        http("good", "http://192.0.2.10/other"),
        http("good", "ftp://192.0.2.10/x").put("fields", new JsonArray(List.of("path", "nope")))
            .put("filter", new JsonObject().put("status", new JsonArray(List.of("6xx")))),
        syslog("sys", "no-port").put("facility", "local9").put("period", "0s").put("headers", new JsonObject()),
        http("noscheme", "//192.0.2.10/"),
        http("hdr", "https://192.0.2.10/").put("headers", new JsonObject().put("Host", "evil").put("X-Ok", "a\nb")),
        http("mask", "https://192.0.2.10/").put("headers", new JsonObject().put("Authorization", "***")));
    List<String> errors = errors(logging.putSinks(logging.admin, bad));
    assertThat(errors).anyMatch(e -> e.startsWith("sinks[1].url: must be an http or https URL"))
        .anyMatch(e -> e.startsWith("sinks[1].name: 'good' is used by another sink"))
        .anyMatch(e -> e.startsWith("sinks[1].fields: 'nope' is not a field"))
        .anyMatch(e -> e.startsWith("sinks[1].filter.status: '6xx'"))
        .anyMatch(e -> e.startsWith("sinks[2].address: 'no-port' is not host:port"))
        .anyMatch(e -> e.startsWith("sinks[2].facility: 'local9'"))
        .anyMatch(e -> e.startsWith("sinks[2].period:"))
        .anyMatch(e -> e.startsWith("sinks[2].headers: not a setting of this sink type"))
        .anyMatch(e -> e.startsWith("sinks[3].url: must be an http or https URL"))
        .anyMatch(e -> e.startsWith("sinks[4].headers.Host: set by the sink itself"))
        .anyMatch(e -> e.startsWith("sinks[4].headers.X-Ok: at most 8192 characters, without CR, LF"))
        .anyMatch(e -> e.startsWith("sinks[5].headers.Authorization: '***' keeps a stored value"));
    List<String> dup = errors(logging.putSinks(logging.admin, list(http("twice", "http://192.0.2.1/"),
        http("twice", "http://192.0.2.2/"))));
    assertThat(dup).contains("sinks[1].name: 'twice' is used by another sink of the list");
    // what the contract's schema refuses is named by its path in the body
    List<String> contract = errors(logging.putSinks(logging.admin, list(http("x", "http://192.0.2.1/").put("color", "red"),
        http("y", "http://192.0.2.1/").put("sampleRate", 1.5), http("Bad Name", "http://192.0.2.1/"))));
    assertThat(contract).anyMatch(e -> e.startsWith("#/sinks/0") && e.contains("color"))
        .anyMatch(e -> e.startsWith("#/sinks/1/sampleRate"))
        .anyMatch(e -> e.startsWith("#/sinks/2/name"));

    JsonArray kept = logging.getSinks(logging.admin).bodyAsJsonObject().getJsonArray("sinks");
    assertThat(kept).hasSize(1);
    assertThat(kept.getJsonObject(0).getString("name")).as("nothing half-replaced").isEqualTo("keep");
  }

  @Test
  void sinkAddressesGetTheOriginsForgeryGuard() {
    List<String> errors = errors(logging.putSinks(logging.admin, list(
        http("meta", "http://169.254.169.254/latest"),
        http("private", "https://10.1.2.3/ingest"),
        syslog("v6", "[fd00:ec2::254]:514"),
        syslog("mapped", "[::ffff:127.0.0.1]:514"),
        syslog("numeric", "0x7f.0.0.1:514"),
        syslog("loop", "localhost:514"),
        http("allowed", "http://192.0.2.99/"))));
    assertThat(errors).anyMatch(e -> e.startsWith("sinks[0].url: '169.254.169.254' is a loopback, private, link-local or metadata"))
        .anyMatch(e -> e.startsWith("sinks[1].url: '10.1.2.3'"))
        .anyMatch(e -> e.startsWith("sinks[2].address: 'fd00:ec2::254'"))
        .anyMatch(e -> e.startsWith("sinks[3].address: '::ffff:127.0.0.1'"))
        .anyMatch(e -> e.startsWith("sinks[4].address: '0x7f.0.0.1' is a numeric host"))
        .anyMatch(e -> e.startsWith("sinks[5].address: 'localhost' names this machine"))
        .noneMatch(e -> e.startsWith("sinks[6]"));
    assertThat(errors).allMatch(e -> !e.contains("sinks[6]"));
  }

  @Test
  void theGuardIsAppliedAgainToTheAddressEachDeliveryConnectsTo() {
    SinkAddresses strict = new SinkAddresses(logging.vertx, new OriginAddressPolicy(List.of(Cidr.parse("192.0.2.0/24"))));
    Throwable refused = Await.failure(strict.resolve("localhost"));
    assertThat(refused).isInstanceOf(SinkException.class).hasMessageContaining("resolves to");
    assertThat(((SinkException) refused).misconfigured()).isTrue();
    assertThat(Await.result(strict.resolve("192.0.2.5")).getHostAddress()).isEqualTo("192.0.2.5");
    SinkAddresses dev = new SinkAddresses(logging.vertx, new OriginAddressPolicy(List.of(Cidr.parse("127.0.0.0/8"))));
    assertThat(Await.result(dev.resolve("127.0.0.1")).isLoopbackAddress()).isTrue();
  }

  @Test
  void viewersReadAdminsReplaceAndEveryPutIsAudited() {
    String editor = TestCredentials.apiKey(logging.store, logging.tenant, TenantRole.EDITOR);
    assertThat(logging.putSinks(logging.viewer, list()).statusCode()).isEqualTo(403);
    assertThat(logging.putSinks(editor, list()).statusCode()).isEqualTo(403);
    assertThat(logging.getSinks(logging.viewer).statusCode()).isEqualTo(200);
    logging.putSinks(list(http("siem", "http://192.0.2.10/ingest")));
    errors(logging.putSinks(logging.admin, list(http("siem", "http://10.0.0.1/"))));
    await("both puts audited", 10_000, () -> {
      List<AuditRecord> records = Await.result(logging.store.audit().records(logging.tenant, Instant.EPOCH,
          Instant.now().plusSeconds(60), 100));
      return records.stream().anyMatch(r -> r.action().equals("logSinks.put") && "siem".equals(r.target())
          && "success".equals(r.outcome()))
          && records.stream().anyMatch(r -> r.action().equals("logSinks.put") && "rejected: validation".equals(r.outcome()));
    });
  }
}
