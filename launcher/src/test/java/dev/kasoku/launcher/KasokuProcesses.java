package dev.kasoku.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Kasoku processes started from the built {@code kasoku.jar} for the fault tests: each node a
 * separate JVM (small heap) clustered by Hazelcast TCP-IP on loopback, its output in a file of the
 * test's work directory, plus the HTTP calls those tests make.
 *
 * <p>{@link #close} kills every process this fixture started (SIGTERM, then SIGKILL after 15 s) and
 * keeps their output in {@code target/fault-logs}, whatever state the test left them in; a frozen (SIGSTOPped) process is
 * resumed first so that it can exit.
 */
final class KasokuProcesses implements AutoCloseable {
  static final String OPERATOR = "it-operator-token-with-at-least-32-characters";
  static final String SECRET = "it-secret-key-with-at-least-32-characters-long";
  static final Duration READY_WITHIN = Duration.ofSeconds(120);
  private static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newBuilder()
      .version(java.net.http.HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();

  private final String label;
  private final Path work;
  private final String redisUrl;
  private final List<Node> nodes = new ArrayList<>();
  private final List<Integer> clusterPorts;

  /** One process of the cluster. */
  record Node(String name, Process process, Path log, int apiPort, int edgePort) {
    String output() {
      try {
        return Files.readString(log);
      } catch (IOException e) {
        return "(no output: " + e.getMessage() + ")";
      }
    }

    String apiBase() {
      return "http://127.0.0.1:" + apiPort;
    }
  }

  /** The answer of an edge. */
  record EdgeAnswer(int status, String cacheStatus, String body) {}

  /**
   * @param label names the directory of {@code target/fault-logs} the processes' output is kept in
   * @param members how many processes the cluster will hold (each gets a cluster port up front,
   *     since every member lists all of them)
   */
  KasokuProcesses(String label, Path work, String redisUrl, int members) {
    this.label = label;
    this.work = work;
    this.redisUrl = redisUrl;
    this.clusterPorts = ClusterFaultsFixture.quietPorts(members);
  }

  private String members() {
    return String.join(",", clusterPorts.stream().map(p -> "127.0.0.1:" + p).toList());
  }

  /** Starts the process number {@code index} (0-based, one cluster port each) with these roles. */
  Node launch(int index, String name, String roles, Map<String, String> extraEnv) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    Path jar = Path.of(System.getProperty("kasoku.jar", "target/kasoku.jar")).toAbsolutePath();
    assertThat(jar).as("the shaded jar (mvn package builds it)").exists();
    ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-Djava.net.preferIPv4Stack=true", "-jar", jar.toString());
    pb.environment().keySet().removeIf(k -> k.startsWith("KASOKU_"));
    // never a port handed out before in this JVM (a cluster port released by FreePorts came back as an
    // API port once, and the process's own Hazelcast had bound it first)
    List<Integer> ports = ClusterFaultsFixture.quietPorts(3);
    Map<String, String> env = new HashMap<>();
    env.put("KASOKU_SERVICES", roles);
    env.put("KASOKU_NODE_ID", name);
    env.put("KASOKU_CLUSTER", "true");
    env.put("KASOKU_CLUSTER_HOST", "127.0.0.1");
    env.put("KASOKU_CLUSTER_PORT", String.valueOf(clusterPorts.get(index)));
    env.put("KASOKU_CLUSTER_MEMBERS", members());
    env.put("KASOKU_REDIS_URL", redisUrl);
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
    env.putAll(extraEnv);
    pb.environment().putAll(env);
    Path log = work.resolve(name + ".log");
    pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .directory(work.toFile());
    Node n = new Node(name, pb.start(), log, ports.get(0), ports.get(1));
    nodes.add(n);
    return n;
  }

  List<Node> nodes() {
    return List.copyOf(nodes);
  }

  /** Waits until every node answers {@code /readyz} 200, failing with the output of one that exits. */
  void awaitAllReady() throws Exception {
    long deadline = System.nanoTime() + READY_WITHIN.toNanos();
    for (Node n : nodes) {
      long remaining = deadline - System.nanoTime();
      assertThat(remaining).as("%s not ready within %s:%n%s", n.name(), READY_WITHIN, n.output()).isPositive();
      while (readiness(n) != 200) {
        if (!n.process().isAlive()) {
          throw new AssertionError(n.name() + " exited with " + n.process().exitValue() + ":\n" + n.output());
        }
        if (System.nanoTime() > deadline) {
          throw new AssertionError(n.name() + " not ready within " + READY_WITHIN + ":\n" + n.output());
        }
        Thread.sleep(200);
      }
    }
  }

  /** Waits until this node answers {@code /readyz} 200 (one started again, say). */
  void awaitReady(Node n) throws Exception {
    long deadline = System.nanoTime() + READY_WITHIN.toNanos();
    while (readiness(n) != 200) {
      if (!n.process().isAlive()) {
        throw new AssertionError(n.name() + " exited with " + n.process().exitValue() + ":\n" + n.output());
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(n.name() + " not ready within " + READY_WITHIN + ":\n" + n.output());
      }
      Thread.sleep(200);
    }
  }

  /** The status of the node's {@code /readyz}, or -1 when it does not answer within 5 s. */
  static int readiness(Node n) {
    try {
      return send(HttpRequest.newBuilder(URI.create(n.apiBase() + "/readyz")), Duration.ofSeconds(5)).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  static HttpResponse<String> send(HttpRequest.Builder b, Duration timeout) throws IOException, InterruptedException {
    return HTTP.send(b.timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** An API call with a 20 s timeout. */
  static HttpResponse<String> api(Node node, String method, String path, String key, JsonObject body)
      throws IOException, InterruptedException {
    return api(node, method, path, key, body, Duration.ofSeconds(20));
  }

  static HttpResponse<String> api(Node node, String method, String path, String key, JsonObject body,
                                  Duration timeout) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.apiBase() + path))
        .header("Authorization", "Bearer " + key)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body.encode()));
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    return send(b, timeout);
  }

  /** A tenant created by the operator: its id and admin API key. */
  record Tenant(String id, String key) {}

  static Tenant createTenant(Node control, String name) throws Exception {
    HttpResponse<String> created = api(control, "POST", "/v1/tenants", OPERATOR, new JsonObject().put("name", name));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    JsonObject t = new JsonObject(created.body());
    return new Tenant(t.getString("id"), t.getString("adminApiKey"));
  }

  /** Stores a site with one origin; {@code extra} fields (stale windows...) are merged in. */
  static void putSite(Node control, Tenant tenant, String site, String host, int originPort, JsonObject extra)
      throws Exception {
    JsonObject body = new JsonObject()
        .put("hostnames", new JsonArray().add(host))
        .put("origins", new JsonArray().add(new JsonObject().put("url", "http://127.0.0.1:" + originPort)))
        .mergeIn(extra);
    HttpResponse<String> put = api(control, "PUT", "/v1/tenants/" + tenant.id() + "/sites/" + site, tenant.key(), body);
    assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
  }

  /**
   * A GET through the edge for this Host, bounded by {@code timeoutMs} (the JDK client sends the
   * Host header given: failsafe sets {@code jdk.httpclient.allowRestrictedHeaders=host}).
   */
  EdgeAnswer fetch(Node edge, String host, String path, long timeoutMs) {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.edgePort() + path))
        .header("Host", host).timeout(Duration.ofMillis(timeoutMs)).GET().build();
    try {
      HttpResponse<String> r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
      return new EdgeAnswer(r.statusCode(), r.headers().firstValue("Cache-Status").orElse("null"), r.body());
    } catch (IOException e) {
      throw new IllegalStateException(edge.name() + " GET " + host + path + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Polls the edge until it answers {@code path} of the host with 200 (the site reached it). */
  void awaitSite(Node edge, String host, String path, Duration within) throws Exception {
    long deadline = System.nanoTime() + within.toNanos();
    int last = -1;
    while (System.nanoTime() < deadline) {
      try {
        last = fetch(edge, host, path, 10_000).status();
      } catch (RuntimeException e) {
        last = -1;
      }
      if (last == 200) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError(edge.name() + " never served " + host + " (last status " + last + "):\n" + edge.output());
  }

  /** Polls {@code condition} every 100 ms until it holds; returns how long that took. */
  static Duration await(String what, Duration within, java.util.concurrent.Callable<Boolean> condition)
      throws Exception {
    long t0 = System.nanoTime();
    long deadline = t0 + within.toNanos();
    while (!Boolean.TRUE.equals(condition.call())) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(what + " not within " + within);
      }
      Thread.sleep(100);
    }
    return Duration.ofNanos(System.nanoTime() - t0);
  }

  /** SIGSTOP / SIGCONT. */
  static void signal(Process p, String signal) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).inheritIO().start();
    assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(kill.exitValue()).as("kill -%s %d", signal, p.pid()).isZero();
  }

  /** Stops one node with SIGTERM and waits for it to exit. */
  static void stop(Node n) throws Exception {
    n.process().destroy();
    if (!n.process().waitFor(20, TimeUnit.SECONDS)) {
      n.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Override
  public void close() throws Exception {
    for (Node n : nodes) {
      if (n.process().isAlive()) {
        new ProcessBuilder("kill", "-CONT", Long.toString(n.process().pid())).start().waitFor(5, TimeUnit.SECONDS);
        n.process().destroy();
      }
    }
    for (Node n : nodes) {
      if (!n.process().waitFor(15, TimeUnit.SECONDS)) {
        n.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
    // kept for a failed run's diagnosis: the work directory is a temporary one
    Path kept = Files.createDirectories(Path.of("target", "fault-logs", label));
    for (Node n : nodes) {
      Files.copy(n.log(), kept.resolve(n.name() + ".log"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
