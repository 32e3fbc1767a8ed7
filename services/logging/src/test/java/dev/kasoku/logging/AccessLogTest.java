package dev.kasoku.logging;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.api.ApiRouter;
import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages.AccessLogBatch;
import dev.kasoku.common.bus.Messages.AccessLogRecord;
import dev.kasoku.common.bus.Messages.TenantDeleted;
import dev.kasoku.common.bus.RecordCodec;
import dev.kasoku.common.config.ConfigLoader;
import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.http.Health;
import dev.kasoku.common.model.Ids;
import dev.kasoku.common.model.TenantRole;
import dev.kasoku.common.service.ServiceContext;
import dev.kasoku.common.store.Store;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.MutableClock;
import dev.kasoku.common.testing.TempStores;
import dev.kasoku.common.testing.TestCredentials;
import dev.kasoku.common.prometheus.Prometheus;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Access logs on one logging instance: a batch is answered once it is on disk, downloaded back
 * with filters and formats, kept apart per tenant, repaired after a crash, erased with its tenant
 * and after the retention. A real bus, a real API, files on disk.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AccessLogTest {
  private static final Instant T0 = Instant.parse("2026-12-01T10:15:00Z");
  private Vertx vertx;
  private PrometheusMeterRegistry registry;
  private Store store;
  private Path storeDir;
  private Path dataDir;
  private Path logDir;
  private MutableClock clock;
  private HttpServer server;
  private WebClient http;
  private String tenantA;
  private String tenantB;
  private String viewerA;

  @BeforeEach
  void start() {
    dataDir = TempStores.newDirectory();
    logDir = dataDir.resolve("logs");
    storeDir = TempStores.newDirectory();
    tenantA = "a" + Ids.random(10).toLowerCase();
    tenantB = "b" + Ids.random(10).toLowerCase();
    clock = new MutableClock(T0.plus(Duration.ofHours(2)));
    boot(Duration.ofDays(30));
    viewerA = TestCredentials.apiKey(store, tenantA, TenantRole.VIEWER);
  }

  private void boot(Duration logRetention) {
    registry = Prometheus.newRegistry();
    vertx = Prometheus.instrument(Vertx.builder(), new VertxOptions(), registry).build();
    RecordCodec.registerAll(vertx);
    store = TempStores.embedded(vertx, storeDir, clock);
    KasokuConfig config = ConfigLoader.load(Map.of("KASOKU_SECRET_KEY", "access-log-tests-secret-key-32-chars!!",
        "KASOKU_DATA_DIR", dataDir.toString()));
    assertThat(config.logDir()).isEqualTo(logDir);
    ApiRouter api = Await.result(ApiRouter.load(vertx));
    ServiceContext ctx = new ServiceContext(config, store, new Health(), api, clock);
    Await.result(vertx.deployVerticle(new LoggingVerticle(ctx,
        new LoggingSettings(Duration.ofDays(400), logRetention, Duration.ofMillis(100), 3))));
    server = Await.result(vertx.createHttpServer().requestHandler(api.build()).listen(0, "127.0.0.1"));
    http = WebClient.create(vertx);
  }

  private void shutDown() {
    Await.result(store.close());
    Await.result(vertx.close());
  }

  @AfterEach
  void stop() {
    shutDown();
    TempStores.deleteRecursively(dataDir);
    TempStores.deleteRecursively(storeDir);
  }

  private static AccessLogRecord record(String tenant, Instant ts, String site, int status, String cacheStatus,
                                        String path, String userAgent) {
    return new AccessLogRecord(ts, tenant, site, site + ".example", "192.0.2.10", "GET", path, "HTTP/1.1", status,
        1234, cacheStatus, 3, 5, userAgent, null, "edge-1", "req-" + path);
  }

  /** Sends a batch as an edge does and waits for the logging instance's answer. */
  private Object send(List<AccessLogRecord> records) {
    return Await.result(Addresses.LOG_ACCESS.request(vertx.eventBus(), new AccessLogBatch(records),
        new DeliveryOptions().setSendTimeout(5000))).body();
  }

  private HttpResponse<Buffer> logs(String tenant, String key, String query) {
    return Await.result(http.get(server.actualPort(), "127.0.0.1", "/v1/tenants/" + tenant + "/logs?" + query)
        .bearerTokenAuthentication(key).send());
  }

  private static String range(Instant from, Instant to) {
    return "from=" + from + "&to=" + to;
  }

  private List<String> paths(HttpResponse<Buffer> r) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    List<String> out = new ArrayList<>();
    r.bodyAsString().lines().forEach(l -> out.add(new JsonObject(l).getString("path")));
    return out;
  }

  private List<Path> segments(String tenant) throws Exception {
    Path dir = logDir.resolve(tenant);
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    }
  }

  @Test
  void aBatchIsAnsweredOnceOnDiskAndDownloadedBackInStorageOrderPerHour() throws Exception {
    List<AccessLogRecord> batch = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      batch.add(record(i % 3 == 0 ? tenantB : tenantA, T0.plusSeconds(i * 30L), "www", 200, "hit", "/p" + i, "ua"));
    }
    assertThat(send(batch)).isEqualTo(300);
    assertThat(segments(tenantA)).extracting(p -> p.getFileName().toString())
        .containsExactly("2026120110.ndjson.gz", "2026120111.ndjson.gz", "2026120112.ndjson.gz");

    List<String> expected = batch.stream().filter(r -> r.tenant().equals(tenantA)).map(AccessLogRecord::path).toList();
    HttpResponse<Buffer> r = logs(tenantA, viewerA, range(T0, T0.plus(Duration.ofHours(3))));
    assertThat(r.getHeader("Content-Type")).isEqualTo("application/x-ndjson");
    assertThat(r.getHeader("Cache-Control")).isEqualTo("no-store");
    assertThat(paths(r)).as("no line of tenant B, every line of A").containsExactlyElementsOf(expected);
    JsonObject first = new JsonObject(r.bodyAsString().lines().findFirst().orElseThrow());
    assertThat(first.getString("ts")).isEqualTo("2026-12-01T10:15:30.000Z");
  }

  @Test
  void filtersAndFormatsSelectAndShapeTheLines() {
    send(List.of(
        record(tenantA, T0, "www", 200, "hit", "/a", "curl/8"),
        record(tenantA, T0.plusSeconds(1), "www", 503, "error", "/b", "=HYPERLINK(\"x\")"),
        record(tenantA, T0.plusSeconds(2), "img", 404, "miss", "/c", "ua, with comma"),
        record(tenantA, T0.plusSeconds(3), "img", 502, "miss", "/d", "ua")));
    String window = range(T0, T0.plusSeconds(60));
    assertThat(paths(logs(tenantA, viewerA, window + "&site=img"))).containsExactly("/c", "/d");
    assertThat(paths(logs(tenantA, viewerA, window + "&status=5xx"))).containsExactly("/b", "/d");
    assertThat(paths(logs(tenantA, viewerA, window + "&status=404,503"))).containsExactly("/b", "/c");
    assertThat(paths(logs(tenantA, viewerA, window + "&cacheStatus=miss&site=img&status=4xx"))).containsExactly("/c");
    assertThat(paths(logs(tenantA, viewerA, range(T0.plusSeconds(1), T0.plusSeconds(3))))).containsExactly("/b", "/c");

    String combined = logs(tenantA, viewerA, window + "&format=combined&site=www").bodyAsString();
    assertThat(combined.lines().toList()).containsExactly(
        "192.0.2.10 - - [01/Dec/2026:10:15:00 +0000] \"GET /a HTTP/1.1\" 200 1234 \"-\" \"curl/8\"",
        "192.0.2.10 - - [01/Dec/2026:10:15:01 +0000] \"GET /b HTTP/1.1\" 503 1234 \"-\" \"=HYPERLINK(\\\"x\\\")\"");
    HttpResponse<Buffer> csv = logs(tenantA, viewerA, window + "&format=csv&status=503,404");
    assertThat(csv.getHeader("Content-Type")).startsWith("text/csv");
    List<String> rows = csv.bodyAsString().lines().toList();
    assertThat(rows.get(0)).startsWith("ts,tenant,site,host,clientIp,method,path");
    assertThat(rows.get(1)).contains(",/b,").contains("\"'=HYPERLINK(\"\"x\"\")\"").as("formula defused");
    assertThat(rows.get(2)).contains("\"ua, with comma\"");
  }

  @Test
  void badParametersAreOneProblemNamingEachOfThem() {
    HttpResponse<Buffer> missing = logs(tenantA, viewerA, "site=www");
    assertThat(missing.statusCode()).isEqualTo(400);
    assertThat(missing.getHeader("Content-Type")).startsWith("application/problem+json");
    assertThat(missing.bodyAsString()).contains("from: required").contains("to: required");
    assertThat(logs(tenantA, viewerA, range(T0, T0.plus(Duration.ofDays(32)))).bodyAsString())
        .contains("at most 31 days");
    HttpResponse<Buffer> bad = logs(tenantA, viewerA, range(T0, T0.plusSeconds(9)) + "&status=abc&cacheStatus=maybe");
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.bodyAsString()).contains("status: 'abc'").contains("cacheStatus: 'maybe'");
  }

  @Test
  void anotherTenantsCredentialSeesNothing() {
    send(List.of(record(tenantA, T0, "www", 200, "hit", "/secret", "ua")));
    String viewerB = TestCredentials.apiKey(store, tenantB, TenantRole.VIEWER);
    assertThat(logs(tenantA, viewerB, range(T0, T0.plusSeconds(9))).statusCode()).isEqualTo(404);
    HttpResponse<Buffer> own = logs(tenantB, viewerB, range(T0, T0.plusSeconds(9)));
    assertThat(own.statusCode()).isEqualTo(200);
    assertThat(own.body() == null ? "" : own.bodyAsString()).isEmpty();
  }

  @Test
  void aTornTailLeftByACrashIsCutAtStartAndEverythingAcknowledgedIsKept() throws Exception {
    send(List.of(record(tenantA, T0, "www", 200, "hit", "/1", "ua"), record(tenantA, T0, "www", 200, "hit", "/2", "ua")));
    send(List.of(record(tenantA, T0, "www", 200, "hit", "/3", "ua")));
    shutDown();
    Path segment = segments(tenantA).get(0);
    long acknowledged = Files.size(segment);
    try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      // what a crash in the middle of the next append leaves: the start of a block
      byte[] torn = dev.kasoku.logging.segment.SegmentFormat.block("{\"lost\":true}\n".getBytes());
      ch.write(java.nio.ByteBuffer.wrap(torn, 0, torn.length / 2));
    }
    boot(Duration.ofDays(30));
    assertThat(Files.size(segment)).as("cut back to what was acknowledged").isEqualTo(acknowledged);
    assertThat(paths(logs(tenantA, viewerA, range(T0, T0.plusSeconds(9))))).containsExactly("/1", "/2", "/3");
    send(List.of(record(tenantA, T0, "www", 200, "hit", "/4", "ua")));
    assertThat(paths(logs(tenantA, viewerA, range(T0, T0.plusSeconds(9))))).containsExactly("/1", "/2", "/3", "/4");
  }

  @Test
  void aDeletedTenantsLogsAreErased() throws Exception {
    send(List.of(record(tenantA, T0, "www", 200, "hit", "/x", "ua"), record(tenantB, T0, "www", 200, "hit", "/y", "ua")));
    assertThat(segments(tenantA)).hasSize(1);
    Addresses.TENANT_DELETED.publish(vertx.eventBus(), new TenantDeleted(tenantA));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (Files.exists(logDir.resolve(tenantA)) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(logDir.resolve(tenantA)).doesNotExist();
    assertThat(segments(tenantB)).hasSize(1);
  }

  @Test
  void hourFilesOlderThanTheRetentionAreErased() throws Exception {
    send(List.of(record(tenantA, T0, "www", 200, "hit", "/old", "ua"),
        record(tenantA, T0.plus(Duration.ofDays(2)), "www", 200, "hit", "/new", "ua")));
    assertThat(segments(tenantA)).hasSize(2);
    shutDown();
    clock.set(T0.plus(Duration.ofDays(31)));
    boot(Duration.ofDays(30));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (segments(tenantA).size() > 1 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(segments(tenantA)).extracting(p -> p.getFileName().toString()).containsExactly("2026120310.ndjson.gz");
  }

  /** Sends an edge's numbered batch and waits for the answer. */
  private Object send(String stream, long seq, long floor, Instant sentAt, List<AccessLogRecord> records) {
    return Await.result(Addresses.LOG_ACCESS.request(vertx.eventBus(),
        new AccessLogBatch("edge-1", stream, seq, floor, sentAt, records), new DeliveryOptions().setSendTimeout(5000)))
        .body();
  }

  private String scrape(String name) {
    return registry.scrape().lines().filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
        .findFirst().orElse(name + " (absent)");
  }

  @Test
  void aResendOfABatchStoredBeforeIsAnsweredButStoredOnceAndCounted() {
    String stream = "edge-1." + Ids.random(10);
    assertThat(send(stream, 1, 1, null, List.of(record(tenantA, T0, "www", 200, "hit", "/one", "ua")))).isEqualTo(1);
    // batch 3 overtakes batch 2 (both in flight), then both are resent after lost answers
    assertThat(send(stream, 3, 1, null, List.of(record(tenantA, T0.plusSeconds(2), "www", 200, "hit", "/three", "ua"))))
        .isEqualTo(1);
    assertThat(send(stream, 2, 1, null, List.of(record(tenantA, T0.plusSeconds(1), "www", 200, "hit", "/two", "ua"))))
        .isEqualTo(1);
    assertThat(send(stream, 3, 2, null, List.of(record(tenantA, T0.plusSeconds(2), "www", 200, "hit", "/three", "ua"))))
        .as("a resend is answered (so the edge lets go of it) without being stored").isEqualTo(0);
    assertThat(send(stream, 1, 1, null, List.of(record(tenantA, T0, "www", 200, "hit", "/one", "ua")))).isEqualTo(0);
    // the same seq from another stream (another verticle, or the edge after a restart) is another batch
    assertThat(send("edge-1." + Ids.random(10), 1, 1, null,
        List.of(record(tenantA, T0.plusSeconds(3), "www", 200, "hit", "/other-stream", "ua")))).isEqualTo(1);
    // a batch without identity (an older edge) is stored every time
    send(List.of(record(tenantA, T0.plusSeconds(4), "www", 200, "hit", "/anonymous", "ua")));
    send(List.of(record(tenantA, T0.plusSeconds(4), "www", 200, "hit", "/anonymous", "ua")));

    assertThat(paths(logs(tenantA, viewerA, range(T0, T0.plusSeconds(60)))))
        .containsExactly("/one", "/three", "/two", "/other-stream", "/anonymous", "/anonymous");
    assertThat(scrape("kasoku_log_duplicate_batches_total")).isEqualTo("kasoku_log_duplicate_batches_total 2.0");
  }

  @Test
  void theEdgesSendTimeIsComparedWithThisInstancesClock() {
    send("edge-1." + Ids.random(10), 1, 1, clock.instant().minusMillis(3500),
        List.of(record(tenantA, T0, "www", 200, "hit", "/late", "ua")));
    assertThat(scrape("kasoku_log_clock_skew_seconds")).isEqualTo("kasoku_log_clock_skew_seconds 3.5");
    send("edge-1." + Ids.random(10), 1, 1, clock.instant().plusMillis(250),
        List.of(record(tenantA, T0, "www", 200, "hit", "/early", "ua")));
    assertThat(scrape("kasoku_log_clock_skew_seconds")).as("the latest batch's, negative when the edge is ahead")
        .isEqualTo("kasoku_log_clock_skew_seconds -0.25");
  }

  @Test
  void theRequestBodySizeContentTypeTlsVersionAndRangeAreStoredAndDownloaded() {
    AccessLogRecord full = new AccessLogRecord(T0, tenantA, "www", "www.example", "192.0.2.10", "GET", "/ranged",
        "HTTP/2", 206, 4, 17, "text/plain; charset=utf-8", "TLSv1.3", "bytes=0-3", "hit", 0, 1, "ua", null, "edge-1",
        "req-1");
    AccessLogRecord plain = record(tenantA, T0.plusSeconds(1), "www", 200, "miss", "/plain", "ua");
    send(List.of(full, plain));
    String window = range(T0, T0.plusSeconds(60));
    List<JsonObject> lines = logs(tenantA, viewerA, window).bodyAsString().lines().map(JsonObject::new).toList();
    assertThat(lines.get(0).getLong("bytesIn")).isEqualTo(17);
    assertThat(lines.get(0).getString("contentType")).isEqualTo("text/plain; charset=utf-8");
    assertThat(lines.get(0).getString("tlsVersion")).isEqualTo("TLSv1.3");
    assertThat(lines.get(0).getString("range")).isEqualTo("bytes=0-3");
    assertThat(lines.get(1).getString("range")).as("absent: no Range header").isNull();
    assertThat(lines.get(1).getLong("bytesIn")).isZero();

    List<String> csv = logs(tenantA, viewerA, window + "&format=csv").bodyAsString().lines().toList();
    assertThat(csv.get(0)).isEqualTo("ts,tenant,site,host,clientIp,method,path,protocol,status,bytes,bytesIn,"
        + "contentType,tlsVersion,range,cacheStatus,originMs,totalMs,userAgent,referer,node,requestId");
    assertThat(csv.get(1)).contains(",206,4,17,text/plain; charset=utf-8,TLSv1.3,bytes=0-3,hit,");
    assertThat(csv.get(2)).contains(",200,1234,0,,,,miss,");
  }

  @Test
  void aDownloadOfManyStepsComesBackWholeAndInOrderPlainAndGzipped() throws Exception {
    List<String> expected = new ArrayList<>();
    for (int b = 0; b < 10; b++) {
      List<AccessLogRecord> batch = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        int n = b * 400 + i;
        batch.add(record(tenantA, T0.plusMillis(n * 1000L), "www", 200, "hit", "/many/" + n + "/" + "x".repeat(200), "ua"));
        expected.add("/many/" + n + "/" + "x".repeat(200));
      }
      send(batch);
    }
    String window = range(T0, T0.plus(Duration.ofHours(3)));
    assertThat(paths(logs(tenantA, viewerA, window))).as("more than one step of one instance, over two hour files")
        .containsExactlyElementsOf(expected);
    HttpResponse<Buffer> zipped = Await.result(http.get(server.actualPort(), "127.0.0.1",
            "/v1/tenants/" + tenantA + "/logs?" + window + "&format=csv")
        .putHeader("Accept-Encoding", "br;q=1, gzip;q=0.5").bearerTokenAuthentication(viewerA).send());
    assertThat(zipped.getHeader("Content-Encoding")).isEqualTo("gzip");
    assertThat(zipped.getHeader("Vary")).isEqualTo("Accept-Encoding");
    assertThat(zipped.body().length()).as("compressed").isLessThan(expected.size() * 100);
    try (java.util.zip.GZIPInputStream in = new java.util.zip.GZIPInputStream(
        new java.io.ByteArrayInputStream(zipped.body().getBytes()))) {
      List<String> rows = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).lines().toList();
      assertThat(rows).hasSize(expected.size() + 1);
      assertThat(rows.get(0)).startsWith("ts,tenant,");
      assertThat(rows.get(expected.size())).contains(expected.get(expected.size() - 1));
    }
    HttpResponse<Buffer> refused = Await.result(http.get(server.actualPort(), "127.0.0.1",
            "/v1/tenants/" + tenantA + "/logs?" + window).putHeader("Accept-Encoding", "gzip;q=0")
        .bearerTokenAuthentication(viewerA).send());
    assertThat(refused.getHeader("Content-Encoding")).as("gzip;q=0 refuses gzip").isNull();
    assertThat(paths(refused)).hasSize(expected.size());
  }

  private HttpResponse<Buffer> putSettings(String tenant, String key, String json) {
    return Await.result(http.put(server.actualPort(), "127.0.0.1", "/v1/tenants/" + tenant + "/log-settings")
        .bearerTokenAuthentication(key).putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer(json)));
  }

  @Test
  void eachTenantsHourFilesAreErasedPerItsOwnRetention() throws Exception {
    String adminA = TestCredentials.apiKey(store, tenantA, TenantRole.ADMIN);
    HttpResponse<Buffer> initial = Await.result(http.get(server.actualPort(), "127.0.0.1",
        "/v1/tenants/" + tenantA + "/log-settings").bearerTokenAuthentication(viewerA).send());
    assertThat(initial.bodyAsJsonObject()).isEqualTo(new JsonObject().put("retention", "30d").put("default", true));
    HttpResponse<Buffer> set = putSettings(tenantA, adminA, "{\"retention\": \"2d\"}");
    assertThat(set.statusCode()).as(set.bodyAsString()).isEqualTo(200);
    assertThat(set.bodyAsJsonObject()).isEqualTo(new JsonObject().put("retention", "2d").put("default", false));
    assertThat(putSettings(tenantA, viewerA, "{\"retention\": \"9d\"}").statusCode()).as("a viewer").isEqualTo(403);

    send(List.of(record(tenantA, T0, "www", 200, "hit", "/a-old", "ua"),
        record(tenantA, T0.plus(Duration.ofDays(4)), "www", 200, "hit", "/a-recent", "ua"),
        record(tenantB, T0, "www", 200, "hit", "/b-old", "ua")));
    assertThat(segments(tenantA)).hasSize(2);
    clock.set(T0.plus(Duration.ofDays(5)));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (segments(tenantA).size() > 1 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(segments(tenantA)).as("tenant A keeps 2 days").extracting(p -> p.getFileName().toString())
        .containsExactly("2026120510.ndjson.gz");
    assertThat(segments(tenantB)).as("tenant B keeps the default 30 days").hasSize(1);
  }

  @Test
  void aRetentionBelowOneDayAbove400DaysOrNotInWholeDaysIsRefusedNamingTheField() {
    String adminA = TestCredentials.apiKey(store, tenantA, TenantRole.ADMIN);
    for (String bad : List.of("\"401d\"", "\"0d\"", "\"36h\"", "\"soon\"", "30")) {
      HttpResponse<Buffer> r = putSettings(tenantA, adminA, "{\"retention\": " + bad + "}");
      assertThat(r.statusCode()).as(bad).isEqualTo(400);
      assertThat(r.getHeader("Content-Type")).startsWith("application/problem+json");
      assertThat(r.bodyAsString()).as(bad).contains("retention");
    }
    assertThat(putSettings(tenantA, adminA, "{\"retention\": \"400d\"}").statusCode()).isEqualTo(200);
    HttpResponse<Buffer> back = putSettings(tenantA, adminA, "{\"retention\": null}");
    assertThat(back.bodyAsJsonObject()).isEqualTo(new JsonObject().put("retention", "30d").put("default", true));
  }

  @Test
  void aLoggingInstanceUnseenForLongerThanAnyRetentionLeavesTheRegistrySoNoDownloadNamesIt() throws Exception {
    Instant now = clock.instant();
    Await.result(store.logSinks().instanceSeen("li-long-gone", now.minus(Duration.ofDays(402))));
    Await.result(store.logSinks().instanceSeen("li-last-month", now.minus(Duration.ofDays(40))));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (Await.result(store.logSinks().instances()).containsKey("li-long-gone") && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(Await.result(store.logSinks().instances())).doesNotContainKey("li-long-gone")
        .containsKey("li-last-month");
    // li-last-month may hold records of 40 days ago: a download of them names it
    send(List.of(record(tenantA, now.minus(Duration.ofDays(40)), "www", 200, "hit", "/old", "ua")));
    HttpResponse<Buffer> r = logs(tenantA, viewerA, range(now.minus(Duration.ofDays(41)), now.minus(Duration.ofDays(39))));
    assertThat(r.getHeader("Kasoku-Log-Missing")).isEqualTo("li-last-month");
    assertThat(r.bodyAsString().lines().toList()).last().asString().contains("\"missingInstances\":[\"li-last-month\"]");
    HttpResponse<Buffer> recent = logs(tenantA, viewerA, range(now.minus(Duration.ofDays(2)), now));
    assertThat(recent.getHeader("Kasoku-Log-Missing")).as("not for a range after it was last seen").isNull();
  }
}
