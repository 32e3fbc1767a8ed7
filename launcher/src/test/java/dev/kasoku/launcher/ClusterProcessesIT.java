package dev.kasoku.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.FreePorts;
import dev.kasoku.common.testing.TestRedis;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster as Kubernetes runs it, but on loopback: separate JVMs started from the built
 * {@code kasoku.jar} — two edges and one process with every control role — joined by Hazelcast
 * TCP-IP and sharing the real Redis (database 15). A tenant and a site are created through the API,
 * both edges fill from the origin and then hit, a purge with {@code ?wait=true} is done once both
 * edges acked, and both miss afterwards.
 *
 * <p>Bounded: each process gets a small heap, start-up is waited for at most 120 s, every request
 * has a timeout, and every process this test started is killed after it, passed or failed. The
 * tenant (and so everything it put in Redis) is deleted at the end.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ClusterProcessesIT {
  private static final String OPERATOR = "it-operator-token-with-at-least-32-characters";
  private static final String SECRET = "it-secret-key-with-at-least-32-characters-long";
  /** RFC 9211: forwarded because nothing was stored (for this URI, or for this variant). */
  private static final String MISS = "Kasoku; fwd=(uri-)?miss; .*";
  private static final Duration READY_WITHIN = Duration.ofSeconds(120);
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();

  @TempDir Path work;
  private final List<Node> nodes = new ArrayList<>();
  private HttpServer origin;
  /** For requests to the edges: the JDK client refuses to set a Host header. */
  private Vertx vertx;
  private String tenant;
  private Node control;

  private record Node(String name, Process process, Path log, int apiPort, int edgePort) {
    String output() throws IOException {
      return Files.readString(log);
    }
  }

  @AfterEach
  void stopEverything() throws Exception {
    try {
      if (tenant != null && control != null && control.process().isAlive()) {
        api("DELETE", "/v1/tenants/" + tenant, OPERATOR, null);
      }
    } finally {
      for (Node n : nodes) {
        n.process().destroy();
      }
      for (Node n : nodes) {
        if (!n.process().waitFor(15, TimeUnit.SECONDS)) {
          n.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      }
      if (origin != null) {
        origin.stop(0);
      }
      if (vertx != null) {
        Await.result(vertx.close());
      }
    }
  }

  private Node launch(String name, String roles, int clusterPort, String members) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    Path jar = Path.of(System.getProperty("kasoku.jar", "target/kasoku.jar")).toAbsolutePath();
    assertThat(jar).as("the shaded jar (mvn package builds it)").exists();
    ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-Djava.net.preferIPv4Stack=true", "-jar", jar.toString());
    pb.environment().keySet().removeIf(k -> k.startsWith("KASOKU_"));
    List<Integer> ports = FreePorts.take(3);
    Map<String, String> env = new HashMap<>();
    env.put("KASOKU_SERVICES", roles);
    env.put("KASOKU_NODE_ID", name);
    env.put("KASOKU_CLUSTER", "true");
    env.put("KASOKU_CLUSTER_HOST", "127.0.0.1");
    env.put("KASOKU_CLUSTER_PORT", String.valueOf(clusterPort));
    env.put("KASOKU_CLUSTER_MEMBERS", members);
    env.put("KASOKU_REDIS_URL", TestRedis.url());
    env.put("KASOKU_DATA_DIR", work.resolve(name).toString());
    env.put("KASOKU_BIND_ADDRESS", "127.0.0.1");
    env.put("KASOKU_API_PORT", String.valueOf(ports.get(0)));
    env.put("KASOKU_EDGE_PORT", String.valueOf(ports.get(1)));
    env.put("KASOKU_EDGE_TLS_PORT", String.valueOf(ports.get(2)));
    env.put("KASOKU_SECRET_KEY", SECRET);
    env.put("KASOKU_BOOTSTRAP_TOKEN", OPERATOR);
    env.put("KASOKU_ALLOWED_ORIGIN_NETWORKS", "127.0.0.0/8");
    env.put("KASOKU_SHUTDOWN_GRACE", "2s");
    env.put("KASOKU_EDGE_MEMORY", "32m");
    pb.environment().putAll(env);
    Path log = work.resolve(name + ".log");
    pb.redirectErrorStream(true).redirectOutput(log.toFile()).directory(work.toFile());
    Node n = new Node(name, pb.start(), log, ports.get(0), ports.get(1));
    nodes.add(n);
    return n;
  }

  private static HttpResponse<String> send(HttpRequest.Builder b) throws IOException, InterruptedException {
    return HTTP.send(b.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> api(String method, String path, String key, JsonObject body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + control.apiPort() + path))
        .header("Authorization", "Bearer " + key)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body.encode()));
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    return send(b);
  }

  private record EdgeAnswer(int status, String cacheStatus, String body) {}

  private EdgeAnswer fetch(Node edge, String host, String path) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1")
        .setPort(edge.edgePort()).setURI(path).putHeader("Host", host).setTimeout(20_000);
    return Await.result(vertx.createHttpClient().request(options)
        .compose(req -> req.send())
        .compose(resp -> resp.body().map(b -> new EdgeAnswer(resp.statusCode(),
            String.valueOf(resp.getHeader("Cache-Status")), b.toString()))), 25_000);
  }

  private static void awaitReady(Node n, long deadline) throws Exception {
    while (System.nanoTime() < deadline) {
      if (!n.process().isAlive()) {
        throw new AssertionError(n.name() + " exited with " + n.process().exitValue() + ":\n" + n.output());
      }
      try {
        if (send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + n.apiPort() + "/readyz"))).statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    throw new AssertionError(n.name() + " not ready within " + READY_WITHIN + ":\n" + n.output());
  }

  /** Polls the edge until it serves the host with the origin's 200 (the site reached it). */
  private void awaitSite(Node edge, String host, long deadline) throws Exception {
    int last = -1;
    while (System.nanoTime() < deadline) {
      last = fetch(edge, host, "/warm").status();
      if (last == 200) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError(edge.name() + " never served " + host + " (last status " + last + "):\n" + edge.output());
  }

  @Test
  void twoEdgeProcessesFillHitAndBothMissAfterAPurgeThroughTheControlProcess() throws Exception {
    vertx = Vertx.vertx();
    AtomicInteger originRequests = new AtomicInteger();
    origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    origin.createContext("/", exchange -> {
      originRequests.incrementAndGet();
      byte[] body = ("page " + exchange.getRequestURI().getPath()).getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Cache-Control", "max-age=300");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    origin.start();

    List<Integer> hz = FreePorts.take(3);
    String members = "127.0.0.1:" + hz.get(0) + ",127.0.0.1:" + hz.get(1) + ",127.0.0.1:" + hz.get(2);
    long t0 = System.nanoTime();
    control = launch("control", "auth,config,purge,logging,metrics", hz.get(0), members);
    Node edge1 = launch("edge-1", "cache-edge", hz.get(1), members);
    Node edge2 = launch("edge-2", "cache-edge", hz.get(2), members);
    long deadline = t0 + READY_WITHIN.toNanos();
    for (Node n : nodes) {
      awaitReady(n, deadline);
    }
    long readyMs = (System.nanoTime() - t0) / 1_000_000;

    HttpResponse<String> created = api("POST", "/v1/tenants", OPERATOR, new JsonObject().put("name", "Processes IT"));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    tenant = new JsonObject(created.body()).getString("id");
    String key = new JsonObject(created.body()).getString("adminApiKey");
    String host = "www." + tenant + ".processes.test";
    JsonObject site = new JsonObject()
        .put("hostnames", new io.vertx.core.json.JsonArray().add(host))
        .put("origins", new io.vertx.core.json.JsonArray().add(new JsonObject()
            .put("url", "http://127.0.0.1:" + origin.getAddress().getPort())));
    HttpResponse<String> put = api("PUT", "/v1/tenants/" + tenant + "/sites/www", key, site);
    assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
    long siteDeadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    awaitSite(edge1, host, siteDeadline);
    awaitSite(edge2, host, siteDeadline);

    int before = originRequests.get();
    for (Node edge : List.of(edge1, edge2)) {
      EdgeAnswer first = fetch(edge, host, "/page");
      assertThat(first.status()).isEqualTo(200);
      assertThat(first.body()).isEqualTo("page /page");
      assertThat(first.cacheStatus()).as(edge.name()).matches(MISS);
      EdgeAnswer second = fetch(edge, host, "/page");
      assertThat(second.body()).isEqualTo("page /page");
      assertThat(second.cacheStatus()).as(edge.name()).contains("; hit");
    }
    assertThat(originRequests.get() - before).as("one origin fill per edge").isEqualTo(2);

    HttpResponse<String> purge = api("POST", "/v1/tenants/" + tenant + "/purge?wait=true", key,
        new JsonObject().put("urls", new io.vertx.core.json.JsonArray().add("http://" + host + "/page")));
    assertThat(purge.statusCode()).as(purge.body()).isEqualTo(202);
    assertThat(new JsonObject(purge.body()).getString("status")).as(purge.body()).isEqualTo("done");

    for (Node edge : List.of(edge1, edge2)) {
      EdgeAnswer after = fetch(edge, host, "/page");
      assertThat(after.status()).isEqualTo(200);
      assertThat(after.cacheStatus()).as("%s after the purge", edge.name()).matches(MISS);
    }
    assertThat(originRequests.get() - before).as("both edges fetched again after the purge").isEqualTo(4);
    System.out.printf("MEASURED: three Kasoku processes ready %d ms after launch; purge done in %s%n",
        readyMs, new JsonObject(purge.body()).getValue("tookMs"));

    HttpResponse<String> deleted = api("DELETE", "/v1/tenants/" + tenant, OPERATOR, null);
    assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(202);
    tenant = null;
    for (Node n : nodes) {
      n.process().destroy();
      assertThat(n.process().waitFor(20, TimeUnit.SECONDS)).as("%s exits after SIGTERM", n.name()).isTrue();
      assertThat(n.process().exitValue()).as("%s:\n%s", n.name(), n.output()).isZero();
    }
  }
}
