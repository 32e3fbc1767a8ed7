package dev.kasoku.logging.sink;

import static dev.kasoku.logging.sink.SinkHarness.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.bus.Messages.AccessLogRecord;
import dev.kasoku.common.model.Notification;
import dev.kasoku.common.prometheus.Prometheus;
import dev.kasoku.common.testing.Await;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * HTTP log sinks against a real receiver on loopback: every stored record arrives, in storage order,
 * through an outage (503s, then refused connections) and a lost answer; duplicates are exactly the
 * batch whose answer was lost; a receiver that refuses the sink (401) marks it misconfigured and
 * loses nothing; the cursor survives a restart; filters, fields and sampling shape what is sent;
 * past the lag bound the sink skips ahead and says so in the tenant's feed.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HttpSinkTest {
  private SinkHarness logging;
  private HttpReceiver receiver;

  @BeforeEach
  void start() {
    logging = new SinkHarness();
    receiver = new HttpReceiver();
  }

  @AfterEach
  void stop() {
    receiver.close();
    logging.close();
  }

  private JsonObject httpSink(String name) {
    return new JsonObject().put("name", name).put("type", "http").put("url", receiver.url())
        .put("headers", new JsonObject().put("Authorization", "Bearer s3cret-token"))
        .put("gzip", true).put("period", "100ms").put("maxBatchRecords", 50);
  }

  private static JsonObject list(JsonObject... sinks) {
    return new JsonObject().put("sinks", new JsonArray(List.of((Object[]) sinks)));
  }

  private static List<String> paths(List<JsonObject> records) {
    return records.stream().map(r -> r.getString("path")).toList();
  }

  @Test
  void everyRecordArrivesInStorageOrderThroughAnOutageWithDuplicatesOnlyForTheBatchInFlight() {
    logging.putSinks(list(httpSink("siem")));
    List<AccessLogRecord> sent = new ArrayList<>(logging.records("/a", 120));
    logging.send(sent);
    await("the first records", 10_000, () -> receiver.distinctPaths() == 120);

    // the receiver fails with 503 for a while, then is gone (connections refused)
    receiver.mode(HttpReceiver.Mode.FAIL_503);
    List<AccessLogRecord> second = logging.records("/b", 120);
    logging.send(second);
    sent.addAll(second);
    await("503s retried", 10_000, () -> receiver.failedAttempts.get() >= 3);
    receiver.down();
    List<AccessLogRecord> third = logging.records("/c", 120);
    logging.send(third);
    sent.addAll(third);
    await("the outage shows in the sink's health", 10_000, () -> {
      JsonObject h = logging.health("siem");
      return "retrying".equals(h.getString("status")) && h.getLong("lagRecords") >= 240;
    });
    JsonObject during = logging.health("siem");
    assertThat(during.getString("lastError")).isNotBlank();
    assertThat(during.getLong("lagRecords")).isGreaterThanOrEqualTo(240);
    assertThat(during.getDouble("lagSeconds")).isGreaterThan(0.0);

    // it comes back, accepts one batch but the answer is lost, then answers normally
    receiver.up();
    receiver.mode(HttpReceiver.Mode.ACCEPT_THEN_RESET);
    await("a batch accepted without an answer", 10_000, () -> !receiver.reset().isEmpty());
    receiver.mode(HttpReceiver.Mode.ACCEPT);
    await("every record", 20_000, () -> receiver.distinctPaths() == sent.size());
    await("the sink caught up", 10_000, () -> logging.health("siem").getLong("lagRecords") == 0);

    List<JsonObject> received = receiver.received();
    List<String> expected = sent.stream().map(AccessLogRecord::path).toList();
    List<String> firstArrivals = new ArrayList<>();
    Map<String, Integer> copies = new HashMap<>();
    for (String p : paths(received)) {
      if (copies.merge(p, 1, Integer::sum) == 1) {
        firstArrivals.add(p);
      }
    }
    assertThat(firstArrivals).as("storage order").containsExactlyElementsOf(expected);
    List<String> duplicated = copies.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).toList();
    assertThat(duplicated).as("only the batch whose answer was lost arrives twice")
        .containsExactlyInAnyOrderElementsOf(paths(receiver.reset()));
    assertThat(copies.values()).allMatch(n -> n <= 2);
    assertThat(received.get(0).getString("tenant")).isEqualTo(logging.tenant);

    JsonObject health = logging.health("siem");
    assertThat(health.getString("status")).isEqualTo("ok");
    assertThat(health.getLong("delivered")).isEqualTo(received.size() - receiver.reset().size());
    assertThat(health.getLong("skipped")).isZero();
    assertThat(health.getString("lastSuccessAt")).isNotNull();
    assertThat(health.getInteger("instances")).isEqualTo(1);

    MeterRegistry meters = Prometheus.registryOf(logging.vertx);
    assertThat(meters.get(SinkMeters.DELIVERED).counter().count()).isEqualTo(health.getLong("delivered").doubleValue());
    assertThat(meters.get(SinkMeters.ERRORS).counter().count()).isGreaterThanOrEqualTo(4);
    assertThat(meters.get(SinkMeters.LAG).gauge().value()).isZero();
    assertThat(meters.get(SinkMeters.LAG).gauge().getId().getTags()).as("no tenant label").isEmpty();
  }

  @Test
  void headerValuesAreSentButStoredSealedAndAnsweredMasked() {
    JsonObject stored = logging.putSinks(list(httpSink("siem")));
    assertThat(stored.getJsonArray("sinks").getJsonObject(0).getJsonObject("headers").getString("Authorization"))
        .isEqualTo("***");
    String raw = Await.result(logging.store.logSinks().get(logging.tenant)).orElseThrow();
    assertThat(raw).doesNotContain("s3cret-token").contains("v1:");
    assertThat(logging.getSinks(logging.viewer).bodyAsString()).doesNotContain("s3cret-token").contains("\"***\"");

    logging.send(logging.records("/h", 3));
    await("a batch", 10_000, () -> receiver.distinctPaths() == 3);
    MultiMap h = receiver.headers().get(0);
    assertThat(h.get("Authorization")).isEqualTo("Bearer s3cret-token");
    assertThat(h.get("Content-Type")).isEqualTo("application/x-ndjson");
    assertThat(h.get("Content-Encoding")).isEqualTo("gzip");

    // a PUT that sends the mask back keeps the stored value; a new value replaces it
    JsonObject again = httpSink("siem").put("headers", new JsonObject().put("Authorization", "***").put("X-Team", "ops"));
    logging.putSinks(list(again));
    logging.send(logging.records("/k", 2));
    await("a batch after the PUT", 10_000, () -> receiver.distinctPaths() == 5);
    MultiMap last = receiver.headers().get(receiver.headers().size() - 1);
    assertThat(last.get("Authorization")).isEqualTo("Bearer s3cret-token");
    assertThat(last.get("X-Team")).isEqualTo("ops");
  }

  @Test
  void aReceiverThatRefusesTheSinkMarksItMisconfiguredAndLosesNothing() {
    receiver.mode(HttpReceiver.Mode.REFUSE_401);
    logging.putSinks(list(httpSink("siem")));
    logging.send(logging.records("/m", 30));
    await("misconfigured", 10_000, () -> "misconfigured".equals(logging.health("siem").getString("status")));
    JsonObject h = logging.health("siem");
    assertThat(h.getBoolean("misconfigured")).isTrue();
    assertThat(h.getString("lastError")).startsWith("HTTP 401").contains("bad token");
    assertThat(h.getLong("delivered")).isZero();
    assertThat(h.getLong("lagRecords")).isEqualTo(30);

    receiver.mode(HttpReceiver.Mode.ACCEPT); // the tenant fixed the token on the receiver's side
    await("every record after the fix", 10_000, () -> receiver.distinctPaths() == 30);
    await("healthy again", 10_000, () -> "ok".equals(logging.health("siem").getString("status")));
    assertThat(logging.health("siem").getBoolean("misconfigured")).isFalse();
  }

  @Test
  void theCursorSurvivesARestartSoNothingIsSentTwiceOrLeftOut() {
    logging.putSinks(list(httpSink("siem")));
    logging.send(logging.records("/r", 80));
    await("before the restart", 10_000, () -> receiver.distinctPaths() == 80);
    await("the cursor stored", 10_000, () -> logging.health("siem").getLong("delivered") == 80);

    receiver.down();
    logging.restart();
    logging.send(logging.records("/s", 40)); // stored while the receiver is away
    receiver.up();
    await("after the restart", 10_000, () -> receiver.distinctPaths() == 120);
    assertThat(receiver.received()).as("a clean restart resends nothing").hasSize(120);
    assertThat(logging.health("siem").getLong("delivered")).isEqualTo(120);
  }

  @Test
  void filtersFieldsAndSamplingShapeWhatIsSent() {
    JsonObject sink = httpSink("errors").put("fields", new JsonArray(List.of("ts", "path", "status", "site")))
        .put("filter", new JsonObject().put("sites", new JsonArray(List.of("www"))).put("status", new JsonArray(List.of("5xx", "404"))));
    JsonObject sampled = httpSink("sampled").put("url", receiver.url() + "&sink=sampled").put("sampleRate", 0.5)
        .put("filter", new JsonObject().put("cacheStatus", new JsonArray(List.of("miss"))));
    logging.putSinks(list(sink, sampled));
    List<AccessLogRecord> records = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      String site = i % 4 == 0 ? "img" : "www";
      int status = i % 5 == 0 ? 503 : i % 7 == 0 ? 404 : i % 11 == 0 ? 403 : 200;
      records.add(logging.record(site, status, i % 2 == 0 ? "miss" : "hit", "/f" + i));
    }
    logging.send(records);
    Set<String> errors = new HashSet<>();
    Set<String> misses = new HashSet<>();
    Set<String> sample = new HashSet<>();
    for (AccessLogRecord r : records) {
      if (r.site().equals("www") && (r.status() >= 500 || r.status() == 404)) {
        errors.add(r.path());
      }
      if (r.cacheStatus().equals("miss")) {
        misses.add(r.path());
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(r.requestId().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        if (crc.getValue() < 0.5 * 4294967296.0) {
          sample.add(r.path()); // decided by the request id: the same record is always in or out
        }
      }
    }
    await("both sinks done", 10_000, () -> receiver.received().size() == errors.size() + sample.size());
    List<JsonObject> got = receiver.received();
    List<JsonObject> errorLines = got.stream().filter(r -> r.fieldNames().size() == 4).toList();
    assertThat(paths(errorLines)).containsExactlyInAnyOrderElementsOf(errors);
    assertThat(errorLines.get(0).fieldNames()).containsExactly("ts", "path", "status", "site");
    List<JsonObject> sampledLines = got.stream().filter(r -> r.fieldNames().size() > 4).toList();
    assertThat(paths(sampledLines)).containsExactlyInAnyOrderElementsOf(sample);
    assertThat(sample.size()).as("about half of the %d misses", misses.size()).isBetween(60, 140);
    await("health counts", 10_000, () -> logging.health("sampled").getLong("delivered") == sample.size()
        && logging.health("errors").getLong("delivered") == errors.size());
  }

  @Test
  void pastTheLagBoundTheSinkSkipsAheadAndAnnouncesTheWindowAndCount() {
    receiver.down();
    logging.putSinks(list(httpSink("siem").put("maxLag", "1h")));
    logging.send(logging.records("/old", 50));
    await("behind", 10_000, () -> logging.health("siem").getLong("lagRecords") == 50);
    logging.clock.advance(Duration.ofHours(3)); // the receiver stays away for three hours
    await("skipped", 10_000, () -> logging.health("siem").getLong("skipped") == 50);
    List<Notification> feed = Await.result(logging.store.notifications().list(logging.tenant, 20));
    Notification dropped = feed.stream().filter(n -> n.kind().equals("log.dropped")).findFirst().orElseThrow();
    assertThat(dropped.message()).contains("siem").contains("skipped 50 records from ").contains("lag bound of 1h");

    receiver.up();
    logging.send(logging.records("/new", 10));
    await("the new records", 10_000, () -> receiver.distinctPaths() == 10);
    assertThat(paths(receiver.received())).allMatch(p -> p.startsWith("/new"));
    assertThat(logging.health("siem").getLong("lagRecords")).isZero();
  }

  @Test
  void moreStoredBytesBehindThanTheBoundAreSkippedOldestFirst() {
    receiver.down();
    logging.putSinks(list(httpSink("siem").put("maxLagBytes", 1 << 16)));
    List<AccessLogRecord> many = new ArrayList<>();
    java.util.Random random = new java.util.Random(7);
    for (int i = 0; i < 6000; i++) {
      // random paths so the stored blocks do not compress to nothing
      many.add(logging.record("www", 200, "hit", "/big" + i + "/" + Long.toHexString(random.nextLong())
          + Long.toHexString(random.nextLong()) + Long.toHexString(random.nextLong())));
    }
    logging.send(many);
    await("skipped down to the bound", 15_000, () -> logging.health("siem").getLong("skipped") > 0);
    JsonObject h = logging.health("siem");
    assertThat(h.getLong("lagBytes")).isLessThanOrEqualTo(1 << 16);
    receiver.up();
    await("the rest", 15_000, () -> logging.health("siem").getLong("lagRecords") == 0);
    long skipped = logging.health("siem").getLong("skipped");
    List<String> got = paths(receiver.received());
    assertThat(got.size() + skipped).as("every record either delivered or counted as skipped").isEqualTo(6000);
    assertThat(got.get(0)).as("the oldest were skipped").isEqualTo(many.get((int) skipped).path());
    long announced = 0;
    for (Notification n : Await.result(logging.store.notifications().list(logging.tenant, 100))) {
      if (n.kind().equals("log.dropped")) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("skipped (\\d+) records from \\S+ to \\S+ ").matcher(n.message());
        assertThat(m.find()).as(n.message()).isTrue();
        assertThat(n.message()).contains("lag bound");
        announced += Long.parseLong(m.group(1));
      }
    }
    assertThat(announced).as("every skipped record announced").isEqualTo(skipped);
  }

  @Test
  void erasingTheTenantStopsItsSinksAndErasesThemWithTheirCursors() {
    logging.putSinks(list(httpSink("siem")));
    logging.send(logging.records("/e", 5));
    await("delivered", 10_000, () -> receiver.distinctPaths() == 5);
    await("a cursor", 10_000, () -> !Await.result(logging.store.logSinks().cursors(logging.tenant)).isEmpty());

    dev.kasoku.common.bus.Addresses.TENANT_DELETED.publish(logging.vertx.eventBus(),
        new dev.kasoku.common.bus.Messages.TenantDeleted(logging.tenant));
    await("sinks erased", 10_000, () -> Await.result(logging.store.logSinks().get(logging.tenant)).isEmpty());
    assertThat(Await.result(logging.store.logSinks().cursors(logging.tenant))).isEmpty();
    assertThat(Await.result(logging.store.logSinks().tenants())).doesNotContain(logging.tenant);
    int before = receiver.received().size();
    logging.send(logging.records("/after", 5));
    try {
      Thread.sleep(600);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    assertThat(receiver.received()).hasSize(before);
  }

  /**
   * Two logging instances on one Redis: each ships the records it stored, none twice, none left out.
   * Regression: an instance that learned of a new sink after it had stored records of it (b checks
   * the store's epoch only every 3 s) started at the end of its files and never shipped those.
   */
  @Test
  void eachLoggingInstanceShipsWhatItStoredItself() {
    String root = dev.kasoku.common.testing.TestRedis.randomRoot();
    String tenant = "t" + dev.kasoku.common.model.Ids.random(10);
    SinkSettings slowReload = new SinkSettings(Duration.ofMillis(50), Duration.ofMillis(400), Duration.ofMillis(300),
        Duration.ofSeconds(2), Duration.ofMillis(3000), Duration.ofMillis(200));
    try (SinkHarness a = SinkHarness.onRedis(root, tenant, SinkHarness.FAST);
         SinkHarness b = SinkHarness.onRedis(root, tenant, slowReload)) {
      a.putSinks(list(httpSink("siem")));
      b.send(b.records("/b", 150)); // stored before b learns of the sink from the store's epoch
      a.send(a.records("/a", 150));
      await("every record of both instances", 15_000, () -> receiver.distinctPaths() == 300);
      await("both report", 10_000, () -> {
        JsonObject h = b.health("siem");
        return h.getInteger("instances") == 2 && h.getLong("delivered") == 300;
      });
      assertThat(receiver.received()).as("none twice").hasSize(300);
      List<String> fromB = paths(receiver.received()).stream().filter(p -> p.startsWith("/b")).toList();
      assertThat(fromB).as("each instance in its storage order")
          .containsExactlyElementsOf(b.records("/b", 150).stream().map(AccessLogRecord::path).toList());
      assertThat(Await.result(a.store.logSinks().cursors(tenant))).extracting(c -> c.instance()).doesNotHaveDuplicates()
          .hasSize(2);
    } finally {
      dev.kasoku.common.testing.TestRedis.deleteAll(logging.vertx, root);
    }
  }
}
