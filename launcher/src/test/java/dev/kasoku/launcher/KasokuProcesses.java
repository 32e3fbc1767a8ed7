package dev.kasoku.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * Kasoku as separate processes, for the tests that start the built {@code kasoku.jar}: each node a
 * JVM of its own (small heap) on loopback, clustered over Hazelcast TCP-IP with the Redis given (the
 * shared test Redis, or one the test started and may stop), its output in a file per start. Beside
 * the processes it holds what those tests do to them and through them: readiness, the faults
 * (SIGKILL, SIGTERM, SIGSTOP/SIGCONT, a restart on the same ports, data directory and node name),
 * API calls, tenants and sites, requests to the edges (a JDK client with a Host header of its own,
 * or a raw socket where the framing matters), an origin server of its own, a bounded load and small
 * balancers in front of the edges and the API.
 *
 * <p>{@link #close()} stops the loads, deletes the tenants it created (so everything they put in
 * Redis) and stops every process it started, resuming a frozen one first (SIGTERM, then SIGKILL
 * after 15 s), whether the test passed or not; each process's output is kept in
 * {@code target/fault-logs/<label>}. Every wait polls a condition up to a generous deadline: this
 * runs on a shared 2-core CI machine.
 */
final class KasokuProcesses implements AutoCloseable {
  static final String OPERATOR = "it-operator-token-with-at-least-32-characters";
  private static final String SECRET = "it-secret-key-with-at-least-32-characters-long";
  static final Duration READY_WITHIN = Duration.ofSeconds(120);
  /** How long slow origin paths ({@code /slow/...}) take to answer. */
  static final long SLOW_ORIGIN_MS = 800;
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();

  private final String label;
  private final Path work;
  private final String redisUrl;
  private final List<Node> nodes = new ArrayList<>();
  private final List<Integer> clusterPorts;
  private final String members;
  private final List<Load> loads = new ArrayList<>();
  private final List<EdgeBalancer> balancers = new ArrayList<>();
  private final List<Tenant> tenants = Collections.synchronizedList(new ArrayList<>());
  private HttpServer origin;
  /** Requests that reached {@link #origin()}, and the body bytes it sent. */
  final AtomicInteger originRequests = new AtomicInteger();
  final AtomicLong originBytes = new AtomicLong();
  /** Part of every body of {@link #origin()}: a test bumps it to tell a refetched page from a stored one. */
  final AtomicInteger originVersion = new AtomicInteger(1);
  private Tenant tenant;
  private String host;

  /** One Kasoku process; {@link #start} starts it again on the same ports, data directory and node name. */
  static final class Node {
    private final String name;
    private final String roles;
    private final int clusterPort;
    private final int apiPort;
    private final int edgePort;
    private final int tlsPort;
    private final Map<String, String> extraEnv;
    private volatile Process process;
    private int starts;
    private volatile Path log;

    private Node(String name, String roles, int clusterPort, Map<String, String> extraEnv) {
      this.name = name;
      this.roles = roles;
      this.clusterPort = clusterPort;
      this.extraEnv = Map.copyOf(extraEnv);
      // never a port handed out before in this JVM (a cluster port released by FreePorts came back as an
      // API port once, and the process's own Hazelcast had bound it first)
      List<Integer> ports = quietPorts(3);
      this.apiPort = ports.get(0);
      this.edgePort = ports.get(1);
      this.tlsPort = ports.get(2);
    }

    String name() {
      return name;
    }

    int clusterPort() {
      return clusterPort;
    }

    int apiPort() {
      return apiPort;
    }

    int edgePort() {
      return edgePort;
    }

    String apiBase() {
      return "http://127.0.0.1:" + apiPort;
    }

    /** The process of the latest start. */
    Process process() {
      return process;
    }

    /** What the process of the latest start wrote. */
    String output() {
      try {
        return log == null ? "" : Files.readString(log);
      } catch (IOException e) {
        return "(log unreadable: " + e + ")";
      }
    }

    @Override
    public String toString() {
      return name;
    }
  }

  /** A tenant created by the operator: its id and admin API key. */
  record Tenant(String id, String key) {}

  /**
   * @param label names the directory of {@code target/fault-logs} the processes' output is kept in
   * @param redisUrl the store every process uses
   * @param clusterSize how many processes the test will declare (each gets a cluster port up front,
   *     since every member lists all of them)
   */
  KasokuProcesses(String label, Path work, String redisUrl, int clusterSize) {
    this.label = label;
    this.work = work;
    this.redisUrl = redisUrl;
    this.clusterPorts = quietPorts(clusterSize);
    this.members = String.join(",", clusterPorts.stream().map(p -> "127.0.0.1:" + p).toList());
  }

  /** Ports handed out by this JVM, never handed out twice. */
  private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * Free loopback ports below the kernel's ephemeral range (32768 and up on Linux), where no
   * outgoing connection and no random bind (event-bus ports, other tests' servers) lands: a process
   * restarted on its ports minutes later, and a port named before the process binds it, are then
   * only ever taken by another test that names ports the same way.
   */
  static List<Integer> quietPorts(int count) {
    List<Integer> ports = new ArrayList<>();
    java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
    for (int tries = 0; ports.size() < count && tries < 10_000; tries++) {
      int port = random.nextInt(20_000, 32_000);
      if (HANDED_OUT.contains(port)) {
        continue;
      }
      try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
        probe.bind(new InetSocketAddress("127.0.0.1", port), 1);
      } catch (IOException inUse) {
        continue;
      }
      if (HANDED_OUT.add(port)) {
        ports.add(port);
      }
    }
    assertThat(ports).as("free ports below the ephemeral range").hasSize(count);
    return ports;
  }

  // --- the processes ---

  /** Declares a process (not started yet); the i-th declared one takes the i-th cluster port. */
  Node node(String name, String roles) {
    return node(name, roles, Map.of());
  }

  /** A process with environment variables of its own, on top of (or instead of) the defaults. */
  Node node(String name, String roles, Map<String, String> extraEnv) {
    assertThat(nodes.size()).as("more processes than the cluster size given").isLessThan(clusterPorts.size());
    Node n = new Node(name, roles, clusterPorts.get(nodes.size()), extraEnv);
    nodes.add(n);
    return n;
  }

  /** Starts (or restarts) the process of a node; {@link #awaitReady} waits for it. */
  void start(Node n) throws IOException {
    assertThat(n.process == null || !n.process.isAlive()).as("%s is still running", n.name).isTrue();
    String java = ProcessHandle.current().info().command().orElse("java");
    Path jar = Path.of(System.getProperty("kasoku.jar", "target/kasoku.jar")).toAbsolutePath();
    assertThat(jar).as("the shaded jar (mvn package builds it)").exists();
    ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-Djava.net.preferIPv4Stack=true", "-jar", jar.toString());
    pb.environment().keySet().removeIf(k -> k.startsWith("KASOKU_"));
    Map<String, String> env = new HashMap<>();
    env.put("KASOKU_SERVICES", n.roles);
    env.put("KASOKU_NODE_ID", n.name);
    env.put("KASOKU_CLUSTER", "true");
    env.put("KASOKU_CLUSTER_HOST", "127.0.0.1");
    env.put("KASOKU_CLUSTER_PORT", String.valueOf(n.clusterPort));
    env.put("KASOKU_CLUSTER_MEMBERS", members);
    env.put("KASOKU_REDIS_URL", redisUrl);
    env.put("KASOKU_DATA_DIR", work.resolve(n.name).toString());
    env.put("KASOKU_BIND_ADDRESS", "127.0.0.1");
    env.put("KASOKU_API_PORT", String.valueOf(n.apiPort));
    env.put("KASOKU_EDGE_PORT", String.valueOf(n.edgePort));
    env.put("KASOKU_EDGE_TLS_PORT", String.valueOf(n.tlsPort));
    env.put("KASOKU_SECRET_KEY", SECRET);
    env.put("KASOKU_BOOTSTRAP_TOKEN", OPERATOR);
    env.put("KASOKU_ALLOWED_ORIGIN_NETWORKS", "127.0.0.0/8");
    // long enough for the rolling restart's slow (800 ms) requests; a process with nothing in flight exits sooner
    env.put("KASOKU_SHUTDOWN_GRACE", "5s");
    env.put("KASOKU_EDGE_MEMORY", "32m");
    env.put("KASOKU_EDGE_WARMUP", "1s"); // these processes test other things than the warm-up
    env.putAll(n.extraEnv);
    pb.environment().putAll(env);
    n.starts++;
    n.log = work.resolve(n.name + "-" + n.starts + ".log");
    pb.redirectErrorStream(true).redirectOutput(n.log.toFile()).directory(work.toFile());
    n.process = pb.start();
  }

  /** Starts every node given and waits until all are ready. */
  void startAll(Node... all) throws Exception {
    for (Node n : all) {
      start(n);
    }
    long deadline = System.nanoTime() + READY_WITHIN.toNanos();
    for (Node n : all) {
      awaitReady(n, deadline);
    }
  }

  /** Waits up to {@link #READY_WITHIN} until the node answers {@code /readyz} 200 (one started again, say). */
  void awaitReady(Node n) throws Exception {
    awaitReady(n, System.nanoTime() + READY_WITHIN.toNanos());
  }

  /** Polls {@code /readyz} until 200; fails with the process's output if it exits or the deadline passes. */
  void awaitReady(Node n, long deadlineNanos) throws Exception {
    while (System.nanoTime() < deadlineNanos) {
      if (!n.process.isAlive()) {
        throw new AssertionError(n.name + " exited with " + n.process.exitValue() + ":\n" + n.output());
      }
      if (ready(n)) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError(n.name + " not ready in time:\n" + n.output());
  }

  /** Whether the node answers {@code /readyz} with 200 right now. */
  static boolean ready(Node n) {
    return readiness(n) == 200;
  }

  /** The status of the node's {@code /readyz}, or -1 when it does not answer within 5 s. */
  static int readiness(Node n) {
    try {
      return send(HttpRequest.newBuilder(URI.create(n.apiBase() + "/readyz")), Duration.ofSeconds(5)).statusCode();
    } catch (IOException notListening) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** SIGKILL, and waits for the process to be gone. */
  void kill(Node n) throws InterruptedException {
    n.process.destroyForcibly();
    assertThat(n.process.waitFor(20, TimeUnit.SECONDS)).as("%s died after SIGKILL", n.name).isTrue();
  }

  /** SIGTERM, and waits for the process to exit; returns its exit code. */
  int terminate(Node n) throws InterruptedException {
    n.process.destroy();
    assertThat(n.process.waitFor(30, TimeUnit.SECONDS)).as("%s exited after SIGTERM:%n%s", n.name, n.output())
        .isTrue();
    return n.process.exitValue();
  }

  /** Sends a signal by name ({@code STOP}, {@code CONT}) to a node's process with the system's {@code kill}. */
  static void signal(Node n, String signal) throws IOException, InterruptedException {
    signal(n.process, signal);
  }

  /** Sends a signal by name to any process this test started (a Redis of its own, say). */
  static void signal(Process p, String signal) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(p.pid()))
        .redirectErrorStream(true).start();
    assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(kill.exitValue()).as("kill -%s %d", signal, p.pid()).isZero();
  }

  // --- the API ---

  static HttpResponse<String> send(HttpRequest.Builder b, Duration timeout) throws IOException, InterruptedException {
    return HTTP.send(b.timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** An API call with a 20 s timeout. */
  static HttpResponse<String> api(Node n, String method, String path, String key, JsonObject body)
      throws IOException, InterruptedException {
    return apiAt(n.apiPort, method, path, key, body, Duration.ofSeconds(20));
  }

  static HttpResponse<String> api(Node n, String method, String path, String key, JsonObject body,
                                  Duration timeout) throws IOException, InterruptedException {
    return apiAt(n.apiPort, method, path, key, body, timeout);
  }

  static HttpResponse<String> apiAt(int port, String method, String path, String key, JsonObject body,
                                    Duration timeout) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("Authorization", "Bearer " + key)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body.encode()));
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    return send(b, timeout);
  }

  /** Creates a tenant through a control node; {@link #close} deletes it. */
  Tenant createTenant(Node control, String name) throws Exception {
    HttpResponse<String> created = api(control, "POST", "/v1/tenants", OPERATOR, new JsonObject().put("name", name));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    JsonObject t = new JsonObject(created.body());
    Tenant made = new Tenant(t.getString("id"), t.getString("adminApiKey"));
    tenants.add(made);
    return made;
  }

  /** Stores a site with one origin on loopback; {@code extra} fields (stale windows...) are merged in. */
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
   * Creates the fixture's tenant and its site {@code www} (served by {@link #origin()}, nothing
   * cached by default) through a control node: what {@link #get(Node, String)}, {@link #purgeUrl}
   * and the loads work on.
   */
  void createTenantAndSite(Node control, String name) throws Exception {
    tenant = createTenant(control, name);
    host = "www." + tenant.id() + ".faults.test";
    HttpResponse<String> put = api(control, "PUT", sitePath(), tenant.key(), siteConfig("0s"));
    assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
  }

  JsonObject siteConfig(String defaultTtl) throws IOException {
    return new JsonObject()
        .put("hostnames", new JsonArray().add(host))
        .put("origins", new JsonArray().add(new JsonObject().put("url", "http://127.0.0.1:" + origin().getAddress().getPort())))
        .put("defaultTtl", defaultTtl);
  }

  String tenant() {
    return tenant.id();
  }

  String adminKey() {
    return tenant.key();
  }

  String host() {
    return host;
  }

  String sitePath() {
    return "/v1/tenants/" + tenant.id() + "/sites/www";
  }

  /** Accepts a URL purge through a control node (no wait); returns its id. */
  String purgeUrl(Node control, String path) throws Exception {
    HttpResponse<String> r = api(control, "POST", "/v1/tenants/" + tenant.id() + "/purge", tenant.key(),
        new JsonObject().put("urls", new JsonArray().add("http://" + host + path)));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    return new JsonObject(r.body()).getString("id");
  }

  /**
   * Polls a purge's status until {@code until} holds for it; returns that status. A 404 is "not
   * yet": an instance that did not accept the purge knows it once the bus brought its command.
   */
  JsonObject awaitPurge(Node control, String id, Duration within, Function<JsonObject, Boolean> until) throws Exception {
    long deadline = System.nanoTime() + within.toNanos();
    JsonObject last = null;
    while (System.nanoTime() < deadline) {
      HttpResponse<String> r = api(control, "GET", "/v1/tenants/" + tenant.id() + "/purge/" + id, tenant.key(), null);
      assertThat(r.statusCode()).as(r.body()).isIn(200, 404);
      if (r.statusCode() == 200) {
        last = new JsonObject(r.body());
        if (until.apply(last)) {
          return last;
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("purge " + id + " never reached the expected state; last status " + last);
  }

  static List<String> strings(JsonArray a) {
    List<String> out = new ArrayList<>();
    a.forEach(v -> out.add(String.valueOf(v)));
    return out;
  }

  // --- the origin ---

  /**
   * The fixture's origin server on loopback, started on first use: {@code body(path, version)} for
   * every path, cacheable for 300 s, except {@code /slow/...}, answered after {@link #SLOW_ORIGIN_MS}
   * and not to be stored.
   */
  synchronized HttpServer origin() throws IOException {
    if (origin == null) {
      HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 128);
      s.setExecutor(Executors.newFixedThreadPool(16));
      s.createContext("/", exchange -> {
        originRequests.incrementAndGet();
        String path = exchange.getRequestURI().getPath();
        boolean slow = path.startsWith("/slow/");
        if (slow) {
          try {
            Thread.sleep(SLOW_ORIGIN_MS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        byte[] body = body(path, originVersion.get()).getBytes(StandardCharsets.UTF_8);
        originBytes.addAndGet(body.length);
        exchange.getResponseHeaders().add("Cache-Control", slow ? "no-store" : "max-age=300");
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
      });
      s.start();
      origin = s;
    }
    return origin;
  }

  /** What {@link #origin()} answers for a path at a version. */
  static String body(String path, int version) {
    return "page " + path + " v" + version;
  }

  // --- the edges ---

  /** One answer of an edge; {@code cacheStatus} is "" when the answer had no {@code Cache-Status}. */
  record Answer(int status, boolean close, String cacheStatus, String body) {}

  /**
   * A GET through the edge for this Host with the JDK client (kept-alive connections), bounded by
   * {@code timeoutMs}; the client sends the Host header given (failsafe sets
   * {@code jdk.httpclient.allowRestrictedHeaders=host}). An I/O failure is thrown unchecked.
   */
  Answer fetch(Node edge, String host, String path, long timeoutMs) {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.edgePort + path))
        .header("Host", host).timeout(Duration.ofMillis(timeoutMs)).GET().build();
    try {
      HttpResponse<String> r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
      return new Answer(r.statusCode(), r.headers().firstValue("Connection").orElse("").contains("close"),
          r.headers().firstValue("Cache-Status").orElse(""), r.body());
    } catch (IOException e) {
      throw new IllegalStateException(edge.name + " GET " + host + path + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Polls the edge (with {@link #fetch}) until it answers {@code path} of the host with 200: the site reached it. */
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
    throw new AssertionError(edge.name + " never served " + host + " (last status " + last + "):\n" + edge.output());
  }

  /** One request for the fixture's site on a new connection (a raw socket), closed after it. */
  Answer get(Node edge, String path) throws IOException {
    return get(edge, host, path);
  }

  /** One request for another hostname, on a new connection. */
  Answer get(Node edge, String hostname, String path) throws IOException {
    try (Socket s = connect(edge.edgePort)) {
      return exchange(s, hostname, path, true);
    }
  }

  /** Polls an edge until {@code until} holds for its answer to {@code path}; returns that answer. */
  Answer awaitEdge(Node edge, String path, Duration within, Function<Answer, Boolean> until) throws Exception {
    long deadline = System.nanoTime() + within.toNanos();
    Answer last = null;
    while (System.nanoTime() < deadline) {
      try {
        last = get(edge, path);
        if (until.apply(last)) {
          return last;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new AssertionError(edge.name + " never answered " + path + " as expected; last " + last + "\n" + edge.output());
  }

  static Socket connect(int port) throws IOException {
    Socket s = new Socket();
    try {
      s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
      s.setSoTimeout(60_000); // longer than a frozen edge stays frozen
      return s;
    } catch (IOException e) {
      s.close();
      throw e;
    }
  }

  /** Writes one GET and reads its answer (Content-Length framing, as the edge answers these). */
  static Answer exchange(Socket s, String host, String path, boolean close) throws IOException {
    write(s, host, path, close);
    return read(s);
  }

  static void write(Socket s, String host, String path, boolean close) throws IOException {
    s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n"
        + (close ? "Connection: close\r\n" : "") + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
  }

  static Answer read(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    StringBuilder head = new StringBuilder();
    while (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new NoAnswerException("connection closed after " + head.length() + " bytes of a response");
      }
      head.append((char) b);
    }
    int length = -1;
    boolean closing = false;
    String cacheStatus = "";
    for (String line : head.toString().split("\r\n")) {
      String lower = line.toLowerCase();
      if (lower.startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      } else if (lower.startsWith("connection:") && lower.contains("close")) {
        closing = true;
      } else if (lower.startsWith("cache-status:")) {
        cacheStatus = line.substring(13).trim();
      }
    }
    if (length < 0) {
      throw new IOException("answer without Content-Length: " + head);
    }
    byte[] body = in.readNBytes(length);
    if (body.length != length) {
      throw new IOException("body cut after " + body.length + " of " + length + " bytes");
    }
    return new Answer(Integer.parseInt(head.substring(9, 12)), closing, cacheStatus,
        new String(body, StandardCharsets.UTF_8));
  }

  /**
   * The edge that owns the key of a peer-filled answer: the node of the first {@code Cache-Status}
   * entry ({@code Kasoku-<node>; ...}) when the answer went through a peer ({@code fwd=peer}), or
   * null for an answer the edge gave on its own ({@code Kasoku; ...}: it owns the key, or holds a copy).
   */
  static String peerOwner(Answer a) {
    String cs = a.cacheStatus();
    if (!cs.startsWith("Kasoku-") || !cs.contains("fwd=peer")) {
      return null;
    }
    return cs.substring("Kasoku-".length(), cs.indexOf(';'));
  }

  /**
   * Waits until every edge given routes misses to every other one: each edge is sent misses for new
   * paths (under {@code /members/}) until the owners named in its peer answers include all the other
   * edges, so every edge's view holds them all. Fails naming the edges that were still missing.
   */
  void awaitMembership(List<Node> edges, Duration within) throws Exception {
    long deadline = System.nanoTime() + within.toNanos();
    for (Node edge : edges) {
      java.util.Set<String> missing = new java.util.TreeSet<>();
      edges.stream().filter(e -> e != edge).forEach(e -> missing.add(e.name()));
      while (!missing.isEmpty()) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError(edge.name + " does not route to " + missing + " within " + within + "\n" + edge.output());
        }
        try {
          Answer a = get(edge, "/members/" + edge.name + "/" + PROBES.incrementAndGet());
          String owner = a.status() == 200 ? peerOwner(a) : null;
          if (owner != null) {
            missing.remove(owner);
          }
        } catch (IOException notYet) {
          Thread.sleep(100);
        }
        Thread.sleep(10);
      }
    }
  }

  private static final AtomicInteger PROBES = new AtomicInteger();

  /** The connection ended before the first byte of an answer. */
  static final class NoAnswerException extends IOException {
    NoAnswerException(String message) {
      super(message);
    }
  }

  // --- waiting ---

  /** Polls {@code condition} every 100 ms until it holds; returns how long that took, or fails naming {@code what}. */
  static Duration await(String what, Duration within, Callable<Boolean> condition) throws Exception {
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

  // --- bounded load ---

  /**
   * A few client threads, each sending requests one after the other (new connection each time)
   * until stopped, at most {@code maxSeconds}. A request counts as served when the edge answered 200
   * with the origin's body for that path; anything else (no connection, an error status, a cut or
   * wrong body) counts as failed, with the time it failed.
   */
  final class Load implements AutoCloseable {
    private final ExecutorService pool;
    private final AtomicBoolean stop = new AtomicBoolean();
    final AtomicLong served = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    /** The longest a served request took. */
    final AtomicLong slowestMs = new AtomicLong();
    final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    private final List<java.util.concurrent.Future<?>> clients = new ArrayList<>();

    /**
     * @param target which edge a client's i-th request goes to
     */
    Load(int threads, int maxSeconds, Function<Integer, Node> target) {
      pool = Executors.newFixedThreadPool(threads);
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(maxSeconds);
      for (int t = 0; t < threads; t++) {
        int client = t;
        clients.add(pool.submit(() -> {
          for (int i = 0; !stop.get() && System.nanoTime() < until; i++) {
            Node edge = target.apply(client + i);
            long failedBefore = failed.get();
            String path = "/load/" + (i % 20);
            long started = System.nanoTime();
            try {
              Answer a = get(edge, path);
              if (a.status() == 200 && a.body().startsWith("page " + path + " v")) {
                served.incrementAndGet();
                slowestMs.accumulateAndGet((System.nanoTime() - started) / 1_000_000, Math::max);
              } else {
                fail(edge, path, a.toString());
              }
            } catch (IOException e) {
              fail(edge, path, e.toString());
            }
            try {
              // a refused edge is retried at a human pace, so failure counts stay comparable
              Thread.sleep(failed.get() > failedBefore ? 100 : 5);
            } catch (InterruptedException e) {
              return;
            }
          }
        }));
      }
      loads.add(this);
    }

    private void fail(Node edge, String path, String what) {
      failed.incrementAndGet();
      if (failures.size() < 20) {
        failures.add(System.currentTimeMillis() + " " + edge.name() + " " + path + ": " + what);
      }
    }

    /** Stops the clients and waits for them. */
    @Override
    public void close() throws Exception {
      stop.set(true);
      for (java.util.concurrent.Future<?> f : clients) {
        f.get(60, TimeUnit.SECONDS);
      }
      pool.shutdownNow();
    }

    /** Whether the counters moved since {@code servedBefore}: the load is really running. */
    void awaitServedMoreThan(long servedBefore, Duration within) throws InterruptedException {
      long deadline = System.nanoTime() + within.toNanos();
      while (served.get() <= servedBefore && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(served.get()).as("the load is served; failures " + failures).isGreaterThan(servedBefore);
    }
  }

  /**
   * A tiny balancer in front of the control-plane API, as an ingress would be: each call goes to the
   * next instance in turn; a call that gets no answer or a 5xx (the instance died under it) is
   * retried once on the next one, as a proxy retries an idempotent request. Calls that fail on
   * every instance count as failed.
   */
  final class ApiBalancer {
    private final List<Node> instances;
    private final AtomicInteger next = new AtomicInteger();
    final AtomicLong served = new AtomicLong();
    final AtomicLong retried = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    final AtomicLong slowestMs = new AtomicLong();
    final List<String> failures = Collections.synchronizedList(new ArrayList<>());

    ApiBalancer(List<Node> instances) {
      this.instances = List.copyOf(instances);
    }

    /** A GET through the balancer: the 200 answer, or null (counted as failed). */
    HttpResponse<String> get(String path, String key) throws InterruptedException {
      long started = System.nanoTime();
      int first = Math.floorMod(next.getAndIncrement(), instances.size());
      String last = null;
      for (int attempt = 0; attempt < instances.size(); attempt++) {
        Node n = instances.get((first + attempt) % instances.size());
        try {
          HttpResponse<String> r = apiAt(n.apiPort(), "GET", path, key, null, Duration.ofSeconds(5));
          if (r.statusCode() == 200) {
            served.incrementAndGet();
            slowestMs.accumulateAndGet((System.nanoTime() - started) / 1_000_000, Math::max);
            return r;
          }
          if (r.statusCode() < 500) {
            failed.incrementAndGet();
            failures.add(System.currentTimeMillis() + " " + path + ": " + n.name() + ": " + r.statusCode() + " " + r.body());
            return null;
          }
          last = n.name() + ": " + r.statusCode() + " " + r.body();
        } catch (IOException e) {
          last = n.name() + ": " + e;
        }
        retried.incrementAndGet();
      }
      failed.incrementAndGet();
      if (failures.size() < 20) {
        failures.add(System.currentTimeMillis() + " " + path + ": " + last);
      }
      return null;
    }
  }

  /**
   * A small round-robin balancer in front of the edges, with its client threads: each thread sends
   * requests one after the other, each to the next edge in rotation, on a kept-alive connection
   * per edge (closed when an answer says {@code Connection: close}). An edge taken out of rotation
   * gets no new request (as a Service endpoint removed before the pod is signalled); the requests
   * it already has must be answered. Every fourth request is for a slow, uncacheable path, so some
   * are in flight whenever an edge is stopped.
   *
   * <p>A request refused at connect goes to the next edge; one on a reused connection that ends
   * before the first byte of an answer (the edge closed the idle connection as the request left)
   * is sent again on a new connection, as HTTP clients do for idempotent requests (RFC 9110,
   * 9.2.2); both are counted. Anything else (an error status, a cut or wrong body, a second
   * failure) counts as failed.
   */
  final class EdgeBalancer implements AutoCloseable {
    private final List<Node> edges;
    private final java.util.Set<Node> rotation = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final Map<Node, AtomicInteger> generation = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<Node, AtomicInteger> slowInFlight = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<Node, AtomicInteger> writing = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<Node, AtomicLong> servedBy = new java.util.concurrent.ConcurrentHashMap<>();
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final ExecutorService pool;
    private final List<java.util.concurrent.Future<?>> clients = new ArrayList<>();
    final AtomicLong served = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    /** Answers that said {@code Connection: close}: requests a draining edge finished. */
    final AtomicLong closedByEdge = new AtomicLong();
    final AtomicLong refused = new AtomicLong();
    final AtomicLong resent = new AtomicLong();
    final List<String> failures = Collections.synchronizedList(new ArrayList<>());

    private record Conn(Socket socket, int generation) {}

    EdgeBalancer(List<Node> edges, int threads, int maxSeconds) {
      this.edges = List.copyOf(edges);
      for (Node e : edges) {
        rotation.add(e);
        generation.put(e, new AtomicInteger());
        slowInFlight.put(e, new AtomicInteger());
        writing.put(e, new AtomicInteger());
        servedBy.put(e, new AtomicLong());
      }
      pool = Executors.newFixedThreadPool(threads);
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(maxSeconds);
      for (int t = 0; t < threads; t++) {
        int client = t;
        clients.add(pool.submit(() -> run(client, until)));
      }
      balancers.add(this);
    }

    private Node pick() {
      int first = Math.floorMod(next.getAndIncrement(), edges.size());
      for (int i = 0; i < edges.size(); i++) {
        Node e = edges.get((first + i) % edges.size());
        if (rotation.contains(e)) {
          return e;
        }
      }
      return null;
    }

    private void run(int client, long until) {
      Map<Node, Conn> conns = new HashMap<>();
      try {
        for (int i = 0; !stop.get() && System.nanoTime() < until; i++) {
          String path = i % 4 == 0 ? "/slow/" + client + "/" + i : "/load/" + (i % 20);
          String failure = null;
          for (int attempt = 0; attempt < 3; attempt++) {
            Node edge = pick();
            if (edge == null) {
              failure = "no edge in rotation";
              break;
            }
            boolean slow = path.startsWith("/slow/");
            writing.get(edge).incrementAndGet();
            if (slow) {
              slowInFlight.get(edge).incrementAndGet();
            }
            boolean reused = false;
            boolean written = false;
            try {
              Conn c = conns.get(edge);
              reused = c != null && c.generation() == generation.get(edge).get();
              if (!reused) {
                if (c != null) {
                  c.socket().close();
                }
                c = new Conn(connect(edge.edgePort()), generation.get(edge).get());
                conns.put(edge, c);
              }
              write(c.socket(), host, path, false);
              written = true;
              writing.get(edge).decrementAndGet();
              Answer a = read(c.socket());
              if (a.close()) {
                closedByEdge.incrementAndGet();
                conns.remove(edge).socket().close();
              }
              if (a.status() == 200 && a.body().startsWith("page " + path + " v")) {
                served.incrementAndGet();
                servedBy.get(edge).incrementAndGet();
                failure = null;
              } else {
                failure = edge.name() + " " + a;
              }
              break;
            } catch (java.net.ConnectException e) {
              refused.incrementAndGet();
              failure = edge.name() + " " + e;
            } catch (IOException e) {
              Conn dead = conns.remove(edge);
              if (dead != null) {
                closeQuietly(dead.socket());
              }
              failure = edge.name() + (reused ? " (reused connection) " : " ") + e;
              if (!(reused && e instanceof NoAnswerException)) {
                break;
              }
              resent.incrementAndGet();
            } finally {
              if (!written) {
                writing.get(edge).decrementAndGet();
              }
              if (slow) {
                slowInFlight.get(edge).decrementAndGet();
              }
            }
          }
          if (failure != null) {
            failed.incrementAndGet();
            if (failures.size() < 20) {
              failures.add(System.currentTimeMillis() + " " + path + ": " + failure);
            }
          }
          Thread.sleep(5);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        conns.values().forEach(c -> closeQuietly(c.socket()));
      }
    }

    private void closeQuietly(Socket s) {
      try {
        s.close();
      } catch (IOException ignored) {
        // already gone
      }
    }

    /** Takes an edge out of rotation and waits until no request to it is half-written. */
    void remove(Node edge) throws InterruptedException {
      rotation.remove(edge);
      assertThat(eventually(Duration.ofSeconds(5), () -> writing.get(edge).get() == 0)).isTrue();
    }

    /** Puts a restarted edge back: connections to its previous process are not reused. */
    void add(Node edge) {
      generation.get(edge).incrementAndGet();
      rotation.add(edge);
    }

    int slowInFlight(Node edge) {
      return slowInFlight.get(edge).get();
    }

    long servedBy(Node edge) {
      return servedBy.get(edge).get();
    }

    @Override
    public void close() throws Exception {
      stop.set(true);
      for (java.util.concurrent.Future<?> f : clients) {
        f.get(90, TimeUnit.SECONDS);
      }
      pool.shutdownNow();
    }
  }

  /** Polls a condition until it holds or the deadline passes; returns whether it held. */
  static boolean eventually(Duration within, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return true;
      }
      Thread.sleep(100);
    }
    return condition.getAsBoolean();
  }

  /**
   * Stops the loads, deletes the tenants through a live control node, then stops every process and
   * the origin, whatever failed before.
   */
  @Override
  public void close() throws Exception {
    try {
      for (Load l : loads) {
        l.stop.set(true);
        l.pool.shutdownNow();
      }
      for (EdgeBalancer b : balancers) {
        b.stop.set(true);
        b.pool.shutdownNow();
      }
      for (Tenant t : List.copyOf(tenants)) {
        for (Node n : nodes) {
          if (n.process != null && n.process.isAlive() && n.roles.contains("auth")) {
            try {
              apiAt(n.apiPort, "DELETE", "/v1/tenants/" + t.id(), OPERATOR, null, Duration.ofSeconds(10));
              break;
            } catch (IOException tryAnother) {
              // the next control node
            }
          }
        }
      }
    } finally {
      for (Node n : nodes) {
        if (n.process != null && n.process.isAlive()) {
          try {
            signal(n, "CONT"); // a frozen process handles no SIGTERM
          } catch (IOException | AssertionError ignored) {
            // it may have just exited
          }
          n.process.destroy();
        }
      }
      for (Node n : nodes) {
        if (n.process != null && !n.process.waitFor(15, TimeUnit.SECONDS)) {
          n.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      }
      if (origin != null) {
        origin.stop(0);
        ((ExecutorService) origin.getExecutor()).shutdownNow();
      }
      keepLogs();
    }
  }

  /** Copies the processes' logs out of the temporary directory (into target/fault-logs/label), for a failure's post-mortem. */
  private void keepLogs() throws IOException {
    Path into = Files.createDirectories(Path.of("target", "fault-logs", label));
    try (var logs = Files.list(work)) {
      for (Path log : (Iterable<Path>) logs.filter(f -> f.toString().endsWith(".log"))::iterator) {
        Files.copy(log, into.resolve(log.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }
}
