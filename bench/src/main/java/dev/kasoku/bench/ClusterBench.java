package dev.kasoku.bench;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;

/**
 * The driver of {@code bench/cluster/run.sh}, which starts a cluster of edges from the shipped jar
 * and measures peer fill (docs/cluster.md) through their public ports. Subcommands:
 *
 * <ul>
 *   <li>{@code origin --port P}: the counting origin. {@code GET /<phase>/<size>/<key>} answers
 *       {@code size} bytes (the path, a newline, then filler), {@code Cache-Control: public,
 *       max-age=3600}, and counts the request against {@code phase}; {@code GET /_stats/<phase>}
 *       answers {@code fetches=<n> distinct=<paths> max=<most fetches of one path>}. The origin's
 *       counts are the ground truth of every figure: a request the origin did not see was served by
 *       the cluster.
 *   <li>{@code members --edges p1,p2 --names n1,n2 [--absent n3]}: waits until each edge, sent misses
 *       for new paths, has named every other edge as a key's owner ({@code fwd=peer} answers), and,
 *       with {@code --absent}, until 40 misses in a row name no absent edge.
 *   <li>{@code rr --edges p1,p2,p3 --prefix /o3/1024/ --keys 1000 --passes 5}: origin offload. Request
 *       {@code j} of key {@code k} goes to edge {@code (k + j) mod n}: each key is asked of every edge
 *       in turn, pass after pass (no two requests for one key at once).
 *   <li>{@code zipf --edges ... --prefix /c/4096/ --keys K --warm W --requests M}: capacity. Every key
 *       once, then {@code W} Zipf(0.99) draws, then the {@code M} measured draws, each request to the
 *       next edge in rotation; the hit ratio is {@code 1 - origin fetches / M} over the measured draws.
 *   <li>{@code discover --edge p --prefix /h/1024/ --keys D --out dir}: asks one edge for {@code D}
 *       keys once and writes each key's path to {@code dir/<owner>.paths}, {@code self} for the keys
 *       the edge answered on its own (it owns them): the key sets of the hop measurements.
 * </ul>
 *
 * <p>Every client subcommand prints one {@code RESULT key=value ...} line that run.sh parses, with
 * the answers classified by their {@code Cache-Status}: {@code local_hit} (the edge's own storage),
 * {@code peer_hit} (the owner's storage, {@code fwd=peer}), {@code peer_fill} (the owner filled it
 * from the origin), {@code miss} (the edge went to the origin itself). A request that got no 200,
 * or a body that is not the origin's for that path, counts as {@code failed}. Requests go over the
 * JDK HTTP client's kept-alive connections with the site's Host header.
 *
 * <p>Run: {@code bench/cluster/run.sh} (it builds {@code bench/target/kasoku-bench.jar} and runs
 * {@code java -cp bench/target/kasoku-bench.jar dev.kasoku.bench.ClusterBench <subcommand> ...}).
 */
public final class ClusterBench {
  private ClusterBench() {}

  public static void main(String[] args) throws Exception {
    // the edge routes by Host; the JDK client sends the one we give only with this set before it loads
    System.setProperty("jdk.httpclient.allowRestrictedHeaders", "host");
    if (args.length == 0) {
      throw new IllegalArgumentException("usage: ClusterBench origin|members|rr|zipf|discover --option value ...");
    }
    Map<String, String> opts = options(Arrays.copyOfRange(args, 1, args.length));
    switch (args[0]) {
      case "origin" -> origin(Integer.parseInt(opts.get("port")));
      case "members" -> members(opts);
      case "rr" -> roundRobin(opts);
      case "zipf" -> zipf(opts);
      case "discover" -> discover(opts);
      default -> throw new IllegalArgumentException("unknown subcommand " + args[0]);
    }
  }

  // ------------------------------------------------------------------ the origin

  private static final class PhaseCount {
    final LongAdder fetches = new LongAdder();
    final Map<String, LongAdder> perPath = new ConcurrentHashMap<>();
  }

  private static void origin(int port) throws Exception {
    Map<String, PhaseCount> phases = new ConcurrentHashMap<>();
    Vertx vertx = Vertx.vertx();
    HttpServer server = vertx.createHttpServer().requestHandler(req -> {
      String path = req.path();
      if (path.startsWith("/_stats/")) {
        PhaseCount c = phases.get(path.substring("/_stats/".length()));
        long fetches = c == null ? 0 : c.fetches.sum();
        long distinct = c == null ? 0 : c.perPath.size();
        long max = c == null ? 0 : c.perPath.values().stream().mapToLong(LongAdder::sum).max().orElse(0);
        req.response().putHeader("Cache-Control", "no-store")
            .end("fetches=" + fetches + " distinct=" + distinct + " max=" + max + "\n");
        return;
      }
      String[] seg = path.split("/", 4); // "", phase, size, key
      String phase = seg.length > 1 && !seg[1].isEmpty() ? seg[1] : "root";
      PhaseCount c = phases.computeIfAbsent(phase, p -> new PhaseCount());
      c.fetches.increment();
      c.perPath.computeIfAbsent(path, p -> new LongAdder()).increment();
      answer(req, path, seg.length > 2 ? size(seg[2]) : 32);
    });
    server.listen(port, "127.0.0.1").await(10, TimeUnit.SECONDS);
    System.out.println("origin listening on 127.0.0.1:" + server.actualPort());
    // runs until run.sh stops it
    Thread.currentThread().join();
  }

  private static int size(String s) {
    try {
      return Math.max(32, Math.min(1 << 20, Integer.parseInt(s)));
    } catch (NumberFormatException notASize) {
      return 32;
    }
  }

  private static void answer(HttpServerRequest req, String path, int size) {
    req.response().putHeader("Cache-Control", "public, max-age=3600")
        .putHeader("Content-Type", "application/octet-stream").end(Buffer.buffer(body(path, size)));
  }

  /** What the origin answers for a path: the path, a newline, then filler up to {@code size} bytes. */
  static byte[] body(String path, int size) {
    byte[] head = (path + "\n").getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[Math.max(size, head.length)];
    Arrays.fill(out, (byte) 'x');
    System.arraycopy(head, 0, out, 0, head.length);
    return out;
  }

  // ------------------------------------------------------------------ the client side

  enum Kind { LOCAL_HIT, PEER_HIT, PEER_FILL, MISS, FAILED }

  /** One edge answer: how it was served, the owner a peer answer names (else null), how long it took. */
  record Served(Kind kind, String owner, String detail, long micros) {
    Served(Kind kind, String owner, String detail) {
      this(kind, owner, detail, 0);
    }

    Served took(long us) {
      return new Served(kind, owner, detail, us);
    }
  }

  /** An answer slower than this is listed (SLOW lines): a peer request that stalls costs seconds. */
  private static final long SLOW_MICROS = 1_000_000;

  /** Created on first use, after main has allowed the Host header (the JDK reads that once). */
  private static final class Client {
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(2)).build();
  }

  /** GET {@code path} through the edge on {@code port} with the site's Host; never throws. */
  static Served get(int port, String host, String path) {
    long t0 = System.nanoTime();
    Served s = exchange(port, host, path);
    return s.took((System.nanoTime() - t0) / 1000);
  }

  private static Served exchange(int port, String host, String path) {
    HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).header("Host", host)
        .timeout(Duration.ofSeconds(10)).GET().build();
    try {
      HttpResponse<byte[]> a = Client.HTTP.send(r, HttpResponse.BodyHandlers.ofByteArray());
      String cs = a.headers().firstValue("Cache-Status").orElse("");
      if (a.statusCode() != 200) {
        return new Served(Kind.FAILED, null, a.statusCode() + " " + cs);
      }
      byte[] expected = body(path, size(path.split("/", 4).length > 2 ? path.split("/", 4)[2] : ""));
      if (!Arrays.equals(a.body(), expected)) {
        return new Served(Kind.FAILED, null, "wrong body (" + a.body().length + " bytes) " + cs);
      }
      return classify(cs);
    } catch (IOException e) {
      return new Served(Kind.FAILED, null, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Served(Kind.FAILED, null, "interrupted");
    }
  }

  /**
   * A {@code Cache-Status} value read the way docs/cluster.md writes it: the owner's entry first
   * ({@code Kasoku-<owner>; hit} or {@code ...; fwd=uri-miss}) then ours with {@code fwd=peer} for a
   * peer answer; our entry alone otherwise.
   */
  static Served classify(String cacheStatus) {
    String first = cacheStatus.split(",", 2)[0].trim();
    boolean firstHit = Arrays.stream(first.split(";")).map(String::trim).anyMatch("hit"::equals);
    if (cacheStatus.contains("fwd=peer")) {
      String owner = first.startsWith("Kasoku-") && first.indexOf(';') > 0
          ? first.substring("Kasoku-".length(), first.indexOf(';')) : "?";
      return new Served(firstHit ? Kind.PEER_HIT : Kind.PEER_FILL, owner, cacheStatus);
    }
    return new Served(firstHit ? Kind.LOCAL_HIT : Kind.MISS, null, cacheStatus);
  }

  /** Counts of answers by kind, the first failures, and the owners named per path. */
  static final class Tally {
    final Map<Kind, LongAdder> kinds = new ConcurrentHashMap<>();
    final List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    final Map<String, Set<String>> owners = new ConcurrentHashMap<>();
    /** Misses (the edge asked the origin itself) per edge index. */
    final Map<Integer, LongAdder> missesByEdge = new ConcurrentHashMap<>();
    final AtomicLong maxMicros = new AtomicLong();
    final List<String> slow = java.util.Collections.synchronizedList(new ArrayList<>());

    Tally() {
      for (Kind k : Kind.values()) {
        kinds.put(k, new LongAdder());
      }
    }

    void add(String path, int edge, Served s) {
      kinds.get(s.kind()).increment();
      maxMicros.accumulateAndGet(s.micros(), Math::max);
      if (s.micros() > SLOW_MICROS && slow.size() < 10) {
        slow.add(java.time.Instant.now() + " edge " + edge + " " + path + " " + s.micros() / 1000 + " ms: "
            + s.kind() + " " + s.detail());
      }
      if (s.kind() == Kind.MISS) {
        missesByEdge.computeIfAbsent(edge, e -> new LongAdder()).increment();
      }
      if (s.kind() == Kind.FAILED && failures.size() < 10) {
        failures.add("edge " + edge + " " + path + ": " + s.detail());
      }
      if (s.owner() != null) {
        owners.computeIfAbsent(path, p -> ConcurrentHashMap.newKeySet()).add(s.owner());
      }
    }

    long count(Kind k) {
      return kinds.get(k).sum();
    }

    long total() {
      return kinds.values().stream().mapToLong(LongAdder::sum).sum();
    }

    String line() {
      return String.format(Locale.ROOT, "requests=%d local_hit=%d peer_hit=%d peer_fill=%d miss=%d failed=%d max_ms=%d",
          total(), count(Kind.LOCAL_HIT), count(Kind.PEER_HIT), count(Kind.PEER_FILL), count(Kind.MISS),
          count(Kind.FAILED), maxMicros.get() / 1000);
    }
  }

  /** {@code n} requests by {@code threads} threads, request {@code i} being {@code work(i)}. */
  static void parallel(int threads, int n, IntFunction<Runnable> work) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    AtomicLong next = new AtomicLong();
    try {
      List<Future<?>> all = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        all.add(pool.submit(() -> {
          for (long i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
            work.apply((int) i).run();
          }
        }));
      }
      for (Future<?> f : all) {
        f.get(10, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** The origin's counts for a phase: fetches, distinct paths, most fetches of one path. */
  static long[] originStats(int originPort, String phase) throws Exception {
    HttpResponse<String> r = Client.HTTP.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + originPort + "/_stats/" + phase)).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
    Map<String, Long> m = new HashMap<>();
    for (String kv : r.body().trim().split(" ")) {
      String[] p = kv.split("=");
      m.put(p[0], Long.parseLong(p[1]));
    }
    return new long[] {m.get("fetches"), m.get("distinct"), m.get("max")};
  }

  private static String phaseOf(String prefix) {
    return prefix.split("/")[1];
  }

  private static void roundRobin(Map<String, String> o) throws Exception {
    int[] edges = ports(o.get("edges"));
    String host = o.get("host");
    String prefix = o.get("prefix");
    int keys = Integer.parseInt(o.getOrDefault("keys", "1000"));
    int passes = Integer.parseInt(o.getOrDefault("passes", "5"));
    int threads = Integer.parseInt(o.getOrDefault("threads", "4"));
    int originPort = Integer.parseInt(o.get("origin"));
    long[] before = originStats(originPort, phaseOf(prefix));
    Tally tally = new Tally();
    long t0 = System.nanoTime();
    for (int pass = 0; pass < passes; pass++) {
      int j = pass;
      parallel(threads, keys, k -> () -> {
        int edge = (k + j) % edges.length;
        String path = prefix + k;
        tally.add(path, edge, get(edges[edge], host, path));
      });
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    long[] after = originStats(originPort, phaseOf(prefix));
    long fetches = after[0] - before[0];
    long splitOwners = tally.owners.values().stream().filter(s -> s.size() > 1).count();
    StringBuilder byEdge = new StringBuilder();
    for (int e = 0; e < edges.length; e++) {
      LongAdder m = tally.missesByEdge.get(e);
      byEdge.append(e == 0 ? "" : "/").append(m == null ? 0 : m.sum());
    }
    System.out.printf(Locale.ROOT, "RESULT edges=%d keys=%d passes=%d %s fetches=%d per_key=%.3f max_per_key=%d "
            + "keys_with_two_owners=%d misses_by_edge=%s seconds=%.1f%n",
        edges.length, keys, passes, tally.line(), fetches, fetches / (double) keys, after[2], splitOwners, byEdge,
        seconds);
    tally.failures.forEach(f -> System.out.println("FAILURE " + f));
    tally.slow.forEach(f -> System.out.println("SLOW " + f));
  }

  private static void zipf(Map<String, String> o) throws Exception {
    int[] edges = ports(o.get("edges"));
    String host = o.get("host");
    String prefix = o.get("prefix");
    int keys = Integer.parseInt(o.get("keys"));
    int warm = Integer.parseInt(o.getOrDefault("warm", "30000"));
    int requests = Integer.parseInt(o.getOrDefault("requests", "30000"));
    int threads = Integer.parseInt(o.getOrDefault("threads", "4"));
    long seed = Long.parseLong(o.getOrDefault("seed", "17"));
    int originPort = Integer.parseInt(o.get("origin"));
    String phase = phaseOf(prefix);
    Zipf zipf = new Zipf(keys, Zipf.DEFAULT_EXPONENT);
    // the same draws for every configuration: the warm-up's, then the measured ones
    int[] warmDraws = zipf.sample(warm, seed);
    int[] draws = zipf.sample(requests, seed + 1);
    Tally fill = new Tally();
    AtomicLong rotation = new AtomicLong();
    parallel(threads, keys, k -> () -> {
      int edge = (int) (rotation.getAndIncrement() % edges.length);
      fill.add(prefix + k, edge, get(edges[edge], host, prefix + k));
    });
    parallel(threads, warm, i -> () -> {
      int edge = (int) (rotation.getAndIncrement() % edges.length);
      String path = prefix + warmDraws[i];
      fill.add(path, edge, get(edges[edge], host, path));
    });
    long[] before = originStats(originPort, phase);
    Tally measured = new Tally();
    long t0 = System.nanoTime();
    parallel(threads, requests, i -> () -> {
      int edge = (int) (rotation.getAndIncrement() % edges.length);
      String path = prefix + draws[i];
      measured.add(path, edge, get(edges[edge], host, path));
    });
    double seconds = (System.nanoTime() - t0) / 1e9;
    long[] after = originStats(originPort, phase);
    long fetches = after[0] - before[0];
    int distinctDrawn = (int) Arrays.stream(draws).distinct().count();
    System.out.printf(Locale.ROOT, "RESULT edges=%d keys=%d warm=%d %s fetches=%d hit_ratio=%.4f "
            + "client_hit_ratio=%.4f distinct_drawn=%d fill_failed=%d seconds=%.1f%n",
        edges.length, keys, warm, measured.line(), fetches, 1 - fetches / (double) requests,
        (measured.count(Kind.LOCAL_HIT) + measured.count(Kind.PEER_HIT)) / (double) requests, distinctDrawn,
        fill.count(Kind.FAILED), seconds);
    fill.failures.forEach(f -> System.out.println("FAILURE (fill) " + f));
    measured.failures.forEach(f -> System.out.println("FAILURE " + f));
    fill.slow.forEach(f -> System.out.println("SLOW (fill) " + f));
    measured.slow.forEach(f -> System.out.println("SLOW " + f));
  }

  private static void discover(Map<String, String> o) throws Exception {
    int edge = Integer.parseInt(o.get("edge"));
    String host = o.get("host");
    String prefix = o.get("prefix");
    int keys = Integer.parseInt(o.get("keys"));
    Path out = Path.of(o.get("out"));
    Map<String, Set<Integer>> byOwner = new ConcurrentHashMap<>();
    Tally tally = new Tally();
    parallel(Integer.parseInt(o.getOrDefault("threads", "4")), keys, k -> () -> {
      Served s = get(edge, host, prefix + k);
      tally.add(prefix + k, 0, s);
      if (s.kind() != Kind.FAILED) {
        byOwner.computeIfAbsent(s.owner() == null ? "self" : s.owner(), x -> ConcurrentHashMap.newKeySet()).add(k);
      }
    });
    Files.createDirectories(out);
    Map<String, Integer> counts = new TreeMap<>();
    for (Map.Entry<String, Set<Integer>> e : byOwner.entrySet()) {
      StringBuilder b = new StringBuilder();
      for (int k : new TreeSet<>(e.getValue())) {
        b.append(prefix).append(k).append('\n');
      }
      Files.writeString(out.resolve(e.getKey() + ".paths"), b);
      counts.put(e.getKey(), e.getValue().size());
    }
    System.out.printf(Locale.ROOT, "RESULT %s owners=%s%n", tally.line(), counts.toString().replace(" ", ""));
    tally.failures.forEach(f -> System.out.println("FAILURE " + f));
  }

  private static void members(Map<String, String> o) throws Exception {
    int[] edges = ports(o.get("edges"));
    String[] names = o.get("names").split(",");
    String host = o.get("host");
    String absent = o.get("absent");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Integer.parseInt(o.getOrDefault("timeout", "60")));
    int probe = 0;
    for (int i = 0; i < edges.length; i++) {
      Set<String> missing = new TreeSet<>(Arrays.asList(names));
      missing.remove(names[i]);
      int cleanInARow = 0;
      while (!missing.isEmpty() || (absent != null && cleanInARow < 40)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(names[i] + " routes to none of " + missing
              + (absent != null ? " or still to " + absent : ""));
        }
        Served s = get(edges[i], host, "/members/32/" + names[i] + "-" + System.nanoTime() + "-" + probe++);
        if (s.owner() != null) {
          missing.remove(s.owner());
        }
        cleanInARow = s.owner() != null && s.owner().equals(absent) ? 0 : cleanInARow + 1;
        if (s.kind() == Kind.FAILED) {
          Thread.sleep(100);
        }
      }
    }
    System.out.println("RESULT members=" + String.join(",", names) + " probes=" + probe);
  }

  private static int[] ports(String csv) {
    return Arrays.stream(csv.split(",")).mapToInt(Integer::parseInt).toArray();
  }

  private static Map<String, String> options(String[] args) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--")) {
        throw new IllegalArgumentException("expected --option value, got " + args[i]);
      }
      m.put(args[i].substring(2), args[i + 1]);
    }
    return m;
  }
}
