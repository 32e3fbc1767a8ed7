package dev.kasoku.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.kasoku.launcher.KasokuProcesses.Node;
import dev.kasoku.launcher.KasokuProcesses.Tenant;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two logging processes from the built jar, each with its own data directory, behind one edge that
 * spreads its access-log batches over both: a download through either is complete (every record of
 * the tenant, whichever process stored it), never holds another tenant's line, comes
 * gzip-compressed when asked, and once one logging process is stopped the answer through the other
 * names it (header, trailer and last line) instead of being silently short.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class LogDownloadGatheredIT {
  @TempDir Path work;
  private AofRedis redis;
  private KasokuProcesses cluster;
  private HttpServer origin;

  @AfterEach
  void stopEverything() throws Exception {
    try {
      if (cluster != null) {
        cluster.close();
      }
    } finally {
      if (origin != null) {
        origin.stop(0);
      }
      if (redis != null) {
        redis.close();
      }
    }
  }

  private static HttpResponse<byte[]> download(Node node, Tenant tenant, Instant from, boolean gzip) throws Exception {
    String query = "?from=" + URLEncoder.encode(from.toString(), StandardCharsets.UTF_8) + "&to="
        + URLEncoder.encode(from.plus(3, ChronoUnit.HOURS).toString(), StandardCharsets.UTF_8);
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.apiBase() + "/v1/tenants/" + tenant.id() + "/logs"
        + query)).header("Authorization", "Bearer " + tenant.key()).timeout(Duration.ofSeconds(60)).GET();
    if (gzip) {
      b.header("Accept-Encoding", "gzip");
    }
    return java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1).build()
        .send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static List<JsonObject> lines(byte[] body) {
    List<JsonObject> out = new ArrayList<>();
    new String(body, StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).forEach(l -> out.add(new JsonObject(l)));
    return out;
  }

  private static long storedFiles(Path logDir, Tenant tenant) throws Exception {
    Path dir = logDir.resolve(tenant.id());
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.count();
    }
  }

  /** Serves requests for both tenants until each logging process has stored records of tenant A. */
  private List<String> spread(Node edge, String hostA, String hostB, Path logDir1, Path logDir2, Tenant a)
      throws Exception {
    List<String> served = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    int n = 0;
    while (storedFiles(logDir1, a) == 0 || storedFiles(logDir2, a) == 0) {
      assertThat(System.nanoTime()).as("records of tenant A on both logging processes").isLessThan(deadline);
      String path = "/a-" + n++;
      assertThat(cluster.fetch(edge, hostA, path, 10_000).status()).isEqualTo(200);
      served.add(path);
      assertThat(cluster.fetch(edge, hostB, "/b-" + n, 10_000).status()).isEqualTo(200);
    }
    return served;
  }

  @Test
  void aDownloadIsCompleteWhicheverLoggingProcessStoredEachRecordAndNamesOneThatIsStopped() throws Exception {
    redis = new AofRedis(work.resolve("redis"));
    redis.start();
    origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    origin.setExecutor(Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "origin");
      t.setDaemon(true);
      return t;
    }));
    origin.createContext("/", exchange -> {
      byte[] body = "page".getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Cache-Control", "no-store");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    origin.start();

    cluster = new KasokuProcesses("LogDownloadGatheredIT", work, redis.url(), 4);
    Node control = cluster.node("control", "auth,config,purge,metrics");
    Node logging1 = cluster.node("logging-1", "logging");
    Node logging2 = cluster.node("logging-2", "logging");
    Node edge = cluster.node("edge", "cache-edge");
    cluster.startAll(control, logging1, logging2, edge);
    Instant from = Instant.now().minus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.HOURS);
    Tenant a = cluster.createTenant(control, "Gathered A");
    Tenant b = cluster.createTenant(control, "Gathered B");
    String hostA = "www." + a.id() + ".gathered.test";
    String hostB = "www." + b.id() + ".gathered.test";
    KasokuProcesses.putSite(control, a, "www", hostA, origin.getAddress().getPort(), new JsonObject());
    KasokuProcesses.putSite(control, b, "www", hostB, origin.getAddress().getPort(), new JsonObject());
    cluster.awaitSite(edge, hostA, "/warm", Duration.ofSeconds(30));
    cluster.awaitSite(edge, hostB, "/warm", Duration.ofSeconds(30));

    Path logDir1 = work.resolve("logging-1").resolve("logs");
    Path logDir2 = work.resolve("logging-2").resolve("logs");
    List<String> served = spread(edge, hostA, hostB, logDir1, logDir2, a);
    String id1 = Files.readString(logDir1.resolve("instance-id")).trim();
    String id2 = Files.readString(logDir2.resolve("instance-id")).trim();

    // complete through either process: every path served, in time order, tenant A's only
    for (Node via : List.of(logging1, logging2)) {
      KasokuProcesses.await("every record of tenant A downloadable through " + via.name(), Duration.ofSeconds(30),
          () -> lines(download(via, a, from, false).body()).stream().map(r -> r.getString("path")).toList()
              .containsAll(served));
      HttpResponse<byte[]> r = download(via, a, from, false);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("Kasoku-Log-Instances")).contains(String.join(", ",
          new java.util.TreeSet<>(List.of(id1, id2))));
      assertThat(r.headers().firstValue("Kasoku-Log-Missing")).isEmpty();
      List<JsonObject> records = lines(r.body());
      assertThat(records).allSatisfy(rec -> assertThat(rec.getString("tenant")).isEqualTo(a.id()));
    }
    assertThat(download(logging1, b, from, false).statusCode()).isEqualTo(200);
    assertThat(lines(download(logging1, b, from, false).body()))
        .allSatisfy(rec -> assertThat(rec.getString("tenant")).isEqualTo(b.id())).isNotEmpty();
    HttpResponse<byte[]> foreign = download(logging1, new Tenant(a.id(), b.key()), from, false);
    assertThat(foreign.statusCode()).as("tenant B's key on tenant A's logs").isEqualTo(404);

    HttpResponse<byte[]> zipped = download(logging1, a, from, true);
    assertThat(zipped.headers().firstValue("Content-Encoding")).contains("gzip");
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(zipped.body()))) {
      assertThat(lines(in.readAllBytes()).stream().map(r -> r.getString("path")).toList()).containsAll(served);
    }

    // logging-2 stopped: the answer through logging-1 says which records are missing
    assertThat(cluster.terminate(logging2)).as("logging-2 exits 0 after SIGTERM").isZero();
    HttpResponse<byte[]> partial = download(logging1, a, from, false);
    assertThat(partial.statusCode()).isEqualTo(200);
    assertThat(partial.headers().firstValue("Kasoku-Log-Missing")).contains(id2);
    List<JsonObject> rest = lines(partial.body());
    JsonObject last = rest.get(rest.size() - 1);
    assertThat(last.getBoolean("incomplete")).isTrue();
    assertThat(last.getJsonArray("missingInstances").getList()).containsExactly(id2);
    assertThat(rest.subList(0, rest.size() - 1)).isNotEmpty()
        .allSatisfy(rec -> assertThat(rec.getString("tenant")).isEqualTo(a.id()));
    System.out.printf("MEASURED: %d records of tenant A served, spread over %s and %s%n", served.size(), id1, id2);
  }
}
