package dev.kasoku.bench.purge;

import com.hazelcast.config.Config;
import dev.kasoku.bench.BenchObjects;
import dev.kasoku.cacheedge.CacheEdgeVerticle;
import dev.kasoku.cacheedge.EdgeSettings;
import dev.kasoku.cacheedge.purge.PurgeAgent;
import dev.kasoku.cacheedge.storage.Storage;
import dev.kasoku.cacheedge.storage.StoredObject;
import dev.kasoku.common.bus.Messages.PurgeScope;
import dev.kasoku.common.cluster.ClusterBootstrap;
import dev.kasoku.common.cluster.ClusterNode;
import dev.kasoku.common.config.ConfigLoader;
import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.api.ApiRouter;
import dev.kasoku.common.http.Health;
import dev.kasoku.common.model.Tenant;
import dev.kasoku.common.model.TenantRole;
import dev.kasoku.common.security.ApiKeys;
import dev.kasoku.common.service.ServiceContext;
import dev.kasoku.common.store.Store;
import dev.kasoku.common.store.redis.RedisStore;
import dev.kasoku.purge.PurgeSettings;
import dev.kasoku.purge.PurgeVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * Purge latency and throughput across three clustered edges, each in its own JVM, on loopback, with
 * the Redis store: what issue 6 asks to measure.
 *
 * <p>The driver (this JVM) starts three edge JVMs ({@code PurgeBench edge ...}), each a clustered
 * Vert.x running the real cache-edge verticle (purge agent included) whose storage is pre-filled
 * with objects tagged {@code bulk}; it joins the cluster itself as a fourth member running the purge
 * service and its API on loopback, then measures through the HTTP API:
 * <ol>
 *   <li><b>latency</b>: {@code PURGES} URL purges one after the other with {@code ?wait=true}; per
 *       purge the service's {@code tookMs} (acceptance, i.e. the moment the 202 is decided, to the
 *       last of the three acks; millisecond resolution) and the client's round trip of the waiting
 *       call (microseconds);</li>
 *   <li><b>throughput</b>: purges sent without waiting by {@code CONCURRENCY} clients for
 *       {@code SECONDS}, after {@code WARMUP} seconds of the same load unmeasured (the JIT of four JVMs on
 *       a small machine is still compiling the concurrent path long after the sequential phase):
 *       accepted purges per second, then how many were done (acked by all three);</li>
 *   <li><b>tag purge</b>: one purge of the tag carried by {@code TAGGED} objects on every edge, the
 *       count each edge reports, each edge's own apply time (its purge agent's measurement), and how
 *       long and how much process CPU the lazy reclaim that follows took on each edge.</li>
 * </ol>
 * Run (Redis on 127.0.0.1:6379, db 15 and a random key root, deleted afterwards):
 * <pre>
 * mvn -B -q -o -pl bench -am package -DskipTests
 * java -Xmx1g -cp bench/target/kasoku-bench.jar dev.kasoku.bench.purge.PurgeBench
 * </pre>
 * Options as system properties: {@code -Dpurges=1000 -Dconcurrency=32 -Dwarmup=10 -Dseconds=10 -Dtagged=100000
 * -Dredis=redis://127.0.0.1:6379/15}.
 */
public final class PurgeBench {
  private static final String TENANT = BenchObjects.TENANT;
  private static final String TAG = "bulk";

  private PurgeBench() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("edge")) {
      edge(args);
    } else {
      driver();
    }
  }

  // ------------------------------------------------------------------ edge JVM

  /** {@code edge <clusterPort> <members> <redisUrl> <root> <nodeId> <tagged>}. */
  private static void edge(String[] a) throws Exception {
    int port = Integer.parseInt(a[1]);
    List<String> members = Arrays.asList(a[2].split(","));
    ClusterNode node = join(port, members, a[6]);
    Vertx vertx = node.vertx();
    Store store = new RedisStore(vertx, a[3], a[4], Duration.ofSeconds(5), Clock.systemUTC());
    KasokuConfig config = ConfigLoader.load(Map.of("KASOKU_NODE_ID", a[5], "KASOKU_EDGE_PORT", "0",
        "KASOKU_BIND_ADDRESS", "127.0.0.1", "KASOKU_EDGE_MEMORY", "512m"));
    CacheEdgeVerticle edge = new CacheEdgeVerticle(store, new Health(), Clock.systemUTC(),
        EdgeSettings.from(config).withInstances(1));
    vertx.deployVerticle(edge).await(60, TimeUnit.SECONDS);
    fill(edge.purge().storage(), Integer.parseInt(a[7]));
    System.out.println("READY " + a[5] + " " + edge.purge().storage().stats().entries());
    watchTagPurges(a[5], edge.purge().agent(), edge.purge().storage());
  }

  /**
   * Until the driver kills this process: after each tag purge, prints the agent's own apply time
   * (from receiving the purge to handing it to the storage, on the agent's event loop) and, once
   * the storage has reclaimed the objects it hid, how long that took and the process CPU it used.
   */
  private static void watchTagPurges(String nodeId, PurgeAgent agent, Storage storage) throws InterruptedException {
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    String seen = null;
    while (true) {
      PurgeAgent.LastApply last = agent.lastApply();
      if (last != null && last.scope() == PurgeScope.TAG && !last.id().equals(seen)) {
        seen = last.id();
        long cpu0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        System.out.printf("TAG-APPLY %s: purge %s applied in %.3f ms (%d objects)%n", nodeId, last.id(),
            last.nanos() / 1e6, last.affected());
        if (last.affected() == 0) {
          continue; // the driver's readiness probe
        }
        while (storage.pendingReclaim() > 0) {
          Thread.sleep(5);
        }
        System.out.printf("TAG-RECLAIMED %s: within %d ms of the apply being seen, process CPU meanwhile %d ms, %d "
                + "entries left%n",
            nodeId, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0),
            TimeUnit.NANOSECONDS.toMillis(os.getProcessCpuTime() - cpu0), storage.stats().entries());
      }
      Thread.sleep(5);
    }
  }

  private static void fill(Storage storage, int tagged) {
    Buffer body = BenchObjects.body(512, 7);
    Instant now = Instant.now();
    for (int i = 0; i < tagged; i++) {
      String path = BenchObjects.path(i);
      StoredObject o = BenchObjects.object(storage, BenchObjects.key(i), path, body, now);
      storage.put(new StoredObject(o.primaryKey(), o.secondaryKey(), o.tenant(), o.host(), o.path(), o.status(),
          o.headers(), o.vary(), o.freshness(), List.of(TAG, "page-" + i), o.generation(), false, o.body()));
    }
  }

  private static ClusterNode join(int port, List<String> members, String clusterName) throws Exception {
    KasokuConfig.ClusterSettings cs = new KasokuConfig.ClusterSettings(true, "127.0.0.1", port, members,
        Optional.empty(), 0);
    Config hz = ClusterBootstrap.hazelcastConfig(cs).setClusterName(clusterName)
        .setProperty("hazelcast.partition.count", "23");
    return ClusterBootstrap.startClustered(cs, hz).await(120, TimeUnit.SECONDS);
  }

  // ------------------------------------------------------------------ driver

  private static void driver() throws Exception {
    int purges = Integer.getInteger("purges", 1000);
    int concurrency = Integer.getInteger("concurrency", 32);
    int seconds = Integer.getInteger("seconds", 10);
    int warmup = Integer.getInteger("warmup", 10);
    int tagged = Integer.getInteger("tagged", 100_000);
    String redis = System.getProperty("redis", "redis://127.0.0.1:6379/15");
    String root = "kb-" + UUID.randomUUID().toString().substring(0, 8);
    String clusterName = "kasoku-purge-bench-" + UUID.randomUUID();
    List<Integer> ports = freePorts(4);
    String members = String.join(",", ports.stream().map(p -> "127.0.0.1:" + p).toList());

    List<Process> edges = new ArrayList<>();
    Path logs = Files.createTempDirectory("purge-bench-");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    for (int i = 0; i < 3; i++) {
      edges.add(new ProcessBuilder(java, "-Xmx768m", "-Djava.net.preferIPv4Stack=true",
          "-Dhazelcast.phone.home.enabled=false", "-cp", System.getProperty("java.class.path"),
          PurgeBench.class.getName(), "edge", Integer.toString(ports.get(i)), members, redis, root, "edge-" + i,
          clusterName, Integer.toString(tagged))
          .redirectErrorStream(true).redirectOutput(logs.resolve("edge-" + i + ".log").toFile()).start());
    }
    ClusterNode node = join(ports.get(3), Arrays.asList(members.split(",")), clusterName);
    Vertx vertx = node.vertx();
    Store store = new RedisStore(vertx, redis, root, Duration.ofSeconds(5), Clock.systemUTC());
    try {
      store.tenants().createTenant(new Tenant(TENANT, TENANT, "standard", List.of(), Instant.now()))
          .await(10, TimeUnit.SECONDS);
      ApiKeys.Generated key = ApiKeys.generate(TENANT, "bench", TenantRole.PURGER, Instant.now());
      store.apiKeys().create(key.stored()).await(10, TimeUnit.SECONDS);
      store.sites().put(TENANT, "s-bench", List.of(BenchObjects.HOST), "{\"hostnames\":[\"" + BenchObjects.HOST
          + "\"],\"origins\":[{\"url\":\"http://127.0.0.1:8000\"}]}", "bench", Instant.now()).await(10, TimeUnit.SECONDS);
      KasokuConfig config = ConfigLoader.load(Map.of("KASOKU_NODE_ID", "purge-0"));
      ApiRouter router = ApiRouter.load(vertx).await(30, TimeUnit.SECONDS);
      ServiceContext ctx = new ServiceContext(config, store, new Health(), router, Clock.systemUTC());
      vertx.deployVerticle(new PurgeVerticle(ctx, PurgeSettings.defaults().withWaitTimeout(Duration.ofSeconds(60))
          .withRate(10_000_000, Duration.ofMinutes(1)))).await(30, TimeUnit.SECONDS);
      HttpServer api = vertx.createHttpServer().requestHandler(router.build()).listen(0, "127.0.0.1")
          .await(10, TimeUnit.SECONDS);
      WebClient web = WebClient.create(vertx, new WebClientOptions().setKeepAlive(true),
          new io.vertx.core.http.PoolOptions().setHttp1MaxSize(concurrency));
      Api client = new Api(web, api.actualPort(), key.key());

      waitForEdges(client, logs, tagged);
      System.out.printf("three edge JVMs up, %d tagged objects each (logs in %s)%n", tagged, logs);

      latency(client, purges);
      throughput(client, concurrency, warmup, seconds);
      tagPurge(client, tagged, logs);
    } finally {
      for (Process p : edges) {
        p.destroyForcibly();
      }
      store.close().await(10, TimeUnit.SECONDS);
      node.close().await(30, TimeUnit.SECONDS);
      deleteRoot(redis, root);
    }
  }

  /** Until every edge printed READY and a purge is acked by three edges. */
  private static void waitForEdges(Api client, Path logs, int tagged) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(12);
    while (true) {
      boolean ready = true;
      for (int i = 0; i < 3; i++) {
        File log = logs.resolve("edge-" + i + ".log").toFile();
        ready &= log.exists() && Files.readString(log.toPath()).contains("READY");
      }
      if (ready) {
        JsonObject s = client.purge(new JsonObject().put("tags", new JsonArray().add("warm-up")), true);
        if (s.getJsonArray("nodes").size() == 3 && "done".equals(s.getString("status"))) {
          return;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("edges did not come up; see " + logs);
      }
      Thread.sleep(500);
    }
  }

  private static void latency(Api client, int purges) throws Exception {
    Histogram tookMs = new Histogram(3);
    Histogram roundTripUs = new Histogram(3);
    int notDone = 0;
    for (int i = 0; i < purges; i++) {
      String url = "https://" + BenchObjects.HOST + "/latency/" + i;
      long start = System.nanoTime();
      JsonObject s = client.purge(new JsonObject().put("urls", new JsonArray().add(url)), true);
      roundTripUs.recordValue(TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - start));
      if (!"done".equals(s.getString("status")) || s.getJsonArray("nodes").size() != 3) {
        notDone++;
        continue;
      }
      tookMs.recordValue(s.getLong("tookMs"));
    }
    System.out.printf("latency over %d sequential URL purges (3 edges): 202->last ack (server tookMs) "
            + "p50=%d ms p99=%d ms max=%d ms; client round trip of wait=true p50=%.2f ms p99=%.2f ms; not done: %d%n",
        purges, tookMs.getValueAtPercentile(50), tookMs.getValueAtPercentile(99), tookMs.getMaxValue(),
        roundTripUs.getValueAtPercentile(50) / 1000.0, roundTripUs.getValueAtPercentile(99) / 1000.0, notDone);
  }

  private static void throughput(Api client, int concurrency, int warmup, int seconds) throws Exception {
    if (warmup > 0) {
      // the same load, unmeasured: the JIT of four JVMs on few cores is still compiling the concurrent
      // path for tens of seconds after the sequential phase, and "sustained" means after that
      AtomicInteger ignored = new AtomicInteger();
      long warmEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(warmup);
      List<Future<Void>> warm = new ArrayList<>();
      for (int w = 0; w < concurrency; w++) {
        warm.add(loop(client, warmEnd, new AtomicLong(1_000_000_000L * (w + 1)), ignored, ignored,
            java.util.Collections.synchronizedList(new ArrayList<>())));
      }
      Future.all(warm).await(warmup + 60L, TimeUnit.SECONDS);
    }
    AtomicInteger accepted = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    AtomicLong seq = new AtomicLong();
    List<String> ids = java.util.Collections.synchronizedList(new ArrayList<>());
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    long start = System.nanoTime();
    List<Future<Void>> workers = new ArrayList<>();
    for (int w = 0; w < concurrency; w++) {
      workers.add(loop(client, end, seq, accepted, failed, ids));
    }
    Future.all(workers).await(seconds + 60L, TimeUnit.SECONDS);
    double elapsed = (System.nanoTime() - start) / 1e9;
    Thread.sleep(3000);
    int done = 0;
    int checked = 0;
    for (int i = 0; i < ids.size(); i += Math.max(1, ids.size() / 200)) {
      checked++;
      if ("done".equals(client.status(ids.get(i)).getString("status"))) {
        done++;
      }
    }
    System.out.printf("throughput: %d clients for %.1f s (after %d s of the same load unmeasured): %d purges accepted "
            + "= %.0f purges/s (%d refused or failed); sample of %d: %d done (acked by all three edges) 3 s after the run%n",
        concurrency, elapsed, warmup, accepted.get(), accepted.get() / elapsed, failed.get(), checked, done);
  }

  private static Future<Void> loop(Api client, long end, AtomicLong seq, AtomicInteger accepted,
                                   AtomicInteger failed, List<String> ids) {
    if (System.nanoTime() > end) {
      return Future.succeededFuture();
    }
    String url = "https://" + BenchObjects.HOST + "/rate/" + seq.incrementAndGet();
    return client.purgeAsync(new JsonObject().put("urls", new JsonArray().add(url)), false)
        .map(s -> {
          accepted.incrementAndGet();
          ids.add(s.getString("id"));
          return (Void) null;
        })
        .recover(t -> {
          failed.incrementAndGet();
          return Future.succeededFuture();
        })
        .compose(v -> loop(client, end, seq, accepted, failed, ids));
  }

  private static void tagPurge(Api client, int tagged, Path logs) throws Exception {
    long start = System.nanoTime();
    JsonObject s = client.purge(new JsonObject().put("tags", new JsonArray().add(TAG)), true);
    long roundTripMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    System.out.printf("tag purge of %d tagged objects per edge: status=%s tookMs=%s (202->last ack), client round "
        + "trip %d ms, applied per edge %s%n", tagged, s.getString("status"), s.getValue("tookMs"), roundTripMs,
        s.getJsonObject("acked").encode());
    // each edge's own measurement of the apply step and of the lazy reclaim that follows it
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    for (int i = 0; i < 3; i++) {
      Path log = logs.resolve("edge-" + i + ".log");
      while (!Files.readString(log).contains("TAG-RECLAIMED") && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      Files.readAllLines(log).stream()
          .filter(l -> l.startsWith("TAG-") || l.contains("applied on") && l.contains("TAG"))
          .forEach(l -> System.out.println("  " + l));
    }
  }

  /** The purge API as the bench calls it. */
  private record Api(WebClient web, int port, String key) {
    Future<JsonObject> purgeAsync(JsonObject body, boolean wait) {
      return web.post(port, "127.0.0.1", "/v1/tenants/" + TENANT + "/purge").addQueryParam("wait",
          Boolean.toString(wait)).bearerTokenAuthentication(key).sendJsonObject(body).compose(r -> r.statusCode() == 202
          ? Future.succeededFuture(r.bodyAsJsonObject())
          : Future.failedFuture("HTTP " + r.statusCode() + ": " + r.bodyAsString()));
    }

    JsonObject purge(JsonObject body, boolean wait) throws Exception {
      return purgeAsync(body, wait).await(60, TimeUnit.SECONDS);
    }

    JsonObject status(String id) throws Exception {
      return web.get(port, "127.0.0.1", "/v1/tenants/" + TENANT + "/purge/" + id).bearerTokenAuthentication(key)
          .send().await(30, TimeUnit.SECONDS).bodyAsJsonObject();
    }
  }

  private static List<Integer> freePorts(int n) throws Exception {
    List<ServerSocket> held = new ArrayList<>();
    List<Integer> ports = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        held.add(s);
        ports.add(s.getLocalPort());
      }
    } finally {
      for (ServerSocket s : held) {
        s.close();
      }
    }
    return ports;
  }

  private static void deleteRoot(String redis, String root) throws Exception {
    Vertx v = Vertx.vertx();
    try {
      RedisStore s = new RedisStore(v, redis, root, Duration.ofSeconds(5), Clock.systemUTC());
      List<String> keys = s.allKeys().await(30, TimeUnit.SECONDS);
      io.vertx.redis.client.Redis client = io.vertx.redis.client.Redis.createClient(v, redis);
      for (int from = 0; from < keys.size(); from += 500) {
        client.send(io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.DEL,
            keys.subList(from, Math.min(keys.size(), from + 500)).toArray())).await(30, TimeUnit.SECONDS);
      }
      client.close();
      s.close().await(10, TimeUnit.SECONDS);
    } finally {
      v.close().await(10, TimeUnit.SECONDS);
    }
  }
}
