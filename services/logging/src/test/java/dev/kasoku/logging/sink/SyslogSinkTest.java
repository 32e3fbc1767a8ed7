package dev.kasoku.logging.sink;

import static dev.kasoku.logging.sink.SinkHarness.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.bus.Messages.AccessLogRecord;
import dev.kasoku.common.testing.TempStores;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Syslog sinks against a real rsyslog started by the test: RFC 5424 messages with RFC 6587
 * octet-counting framing over TCP, and the same over TLS (RFC 5425) where the server's certificate
 * must chain to the sink's CA and name the sink's host. Each line rsyslog wrote is checked.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SyslogSinkTest {
  private SinkHarness logging;
  private Path dir;
  private final List<RsyslogProcess> servers = new ArrayList<>();

  @BeforeEach
  void start() {
    logging = new SinkHarness();
    dir = TempStores.newDirectory();
  }

  @AfterEach
  void stop() {
    servers.forEach(RsyslogProcess::close);
    logging.close();
    TempStores.deleteRecursively(dir);
  }

  private static JsonObject list(JsonObject... sinks) {
    return new JsonObject().put("sinks", new JsonArray(List.of((Object[]) sinks)));
  }

  private List<AccessLogRecord> records(String prefix, int n) {
    List<AccessLogRecord> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      AccessLogRecord r = logging.record("www", i % 3 == 0 ? 503 : 200, "miss", prefix + i);
      // a multi-byte user agent: the frame length counts bytes, not characters
      out.add(new AccessLogRecord(r.ts(), r.tenant(), r.site(), r.host(), r.clientIp(), r.method(), r.path(), r.protocol(),
          r.status(), r.bytes(), r.cacheStatus(), r.originMs(), r.totalMs(), "ブラウザ/1.0 \"quoted\"", r.referer(),
          r.node(), r.requestId()));
    }
    return out;
  }

  /** rsyslog's lines: APP-NAME HOSTNAME FACILITY SEVERITY TIMESTAMP MSG. */
  private static List<String[]> lines(RsyslogProcess server) {
    return server.received().stream().map(l -> l.split(" ", 6)).toList();
  }

  @Test
  void recordsArriveAtARealRsyslogAsRfc5424MessagesWithOctetCountingOverTcp() {
    RsyslogProcess server = RsyslogProcess.tcp(dir.resolve("tcp"));
    servers.add(server);
    logging.putSinks(list(new JsonObject().put("name", "sys").put("type", "syslog")
        .put("address", "127.0.0.1:" + server.port()).put("facility", "local3").put("appName", "kasoku-test")
        .put("fields", new JsonArray(List.of("ts", "node", "path", "status", "userAgent"))).put("period", "100ms")));
    List<AccessLogRecord> sent = records("/s", 60);
    logging.send(sent);
    await("60 messages in rsyslog's file", 15_000, () -> server.received().size() >= 60);

    List<String[]> got = lines(server);
    assertThat(got).hasSize(60);
    for (int i = 0; i < got.size(); i++) {
      String[] l = got.get(i);
      AccessLogRecord r = sent.get(i);
      assertThat(l[0]).isEqualTo("kasoku-test");
      assertThat(l[1]).isEqualTo("edge-1");
      assertThat(l[2]).isEqualTo("local3");
      assertThat(l[3]).isEqualTo(r.status() >= 500 ? "err" : "info");
      assertThat(Instant.parse(l[4])).isEqualTo(r.ts().truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
      JsonObject msg = new JsonObject(l[5].trim());
      assertThat(msg.getString("path")).as("storage order").isEqualTo(r.path());
      assertThat(msg.getString("userAgent")).isEqualTo("ブラウザ/1.0 \"quoted\"");
      assertThat(msg.fieldNames()).containsExactly("ts", "node", "path", "status", "userAgent");
    }
    await("health", 10_000, () -> logging.health("sys").getLong("delivered") == 60);
    assertThat(logging.health("sys").getString("status")).isEqualTo("ok");
  }

  @Test
  void overTlsTheServersCertificateMustChainToTheSinksCaAndNameItsHost() {
    TestCa ca = new TestCa("Kasoku test syslog CA");
    RsyslogProcess server = RsyslogProcess.tls(dir.resolve("tls"), ca.certificatePem(), ca.issue(List.of("localhost")));
    servers.add(server);
    TestCa other = new TestCa("Some other CA");
    logging.putSinks(list(
        new JsonObject().put("name", "tls").put("type", "syslog").put("address", "localhost:" + server.port())
            .put("tls", true).put("caPem", ca.certificatePem()).put("period", "100ms"),
        new JsonObject().put("name", "untrusted").put("type", "syslog").put("address", "localhost:" + server.port())
            .put("tls", true).put("caPem", other.certificatePem()).put("period", "100ms"),
        new JsonObject().put("name", "wrongname").put("type", "syslog").put("address", "127.0.0.1:" + server.port())
            .put("tls", true).put("caPem", ca.certificatePem()).put("period", "100ms")));
    List<AccessLogRecord> sent = records("/t", 25);
    logging.send(sent);
    await("25 messages over TLS", 15_000, () -> server.received().size() >= 25);
    List<String[]> got = lines(server);
    assertThat(got).as(server.output()).hasSize(25);
    for (int i = 0; i < got.size(); i++) {
      JsonObject msg = new JsonObject(got.get(i)[5].trim());
      assertThat(msg.getString("path")).isEqualTo(sent.get(i).path());
      assertThat(msg.getString("tenant")).as("all fields by default").isEqualTo(logging.tenant);
      assertThat(got.get(i)[0]).isEqualTo("kasoku");
      assertThat(got.get(i)[2]).isEqualTo("local0");
    }
    await("the other two refused", 15_000, () -> "misconfigured".equals(logging.health("untrusted").getString("status"))
        && "misconfigured".equals(logging.health("wrongname").getString("status")));
    assertThat(logging.health("untrusted").getString("lastError")).startsWith("TLS").contains("certification path");
    assertThat(logging.health("wrongname").getString("lastError")).startsWith("TLS")
        .as("the certificate names localhost, the sink 127.0.0.1").contains("127.0.0.1");
    assertThat(logging.health("untrusted").getLong("lagRecords")).as("kept for when it is fixed").isEqualTo(25);
    assertThat(logging.health("tls").getLong("delivered")).isEqualTo(25);
  }
}
