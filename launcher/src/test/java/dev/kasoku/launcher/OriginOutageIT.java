package dev.kasoku.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.kasoku.launcher.KasokuProcesses.Answer;
import dev.kasoku.launcher.KasokuProcesses.Node;
import dev.kasoku.launcher.KasokuProcesses.Tenant;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An origin down, then slow, under load: a control process and an edge process, two sites of one
 * tenant with an origin each. Site A's origin is stopped (connections refused), then replaced by one
 * that accepts and never answers, then brought back; site B's origin stays up. Throughout, the
 * edge serves site A's fresh cached keys, serves its expired ones under the site's
 * {@code staleIfError}, answers uncached keys {@code 502} (refused) or {@code 504} (no byte within
 * the 30 s origin read timeout), and site B is unaffected. The origin's return is picked up alone.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class OriginOutageIT {
  /** The edge's origin read timeout (EdgeSettings.DEFAULT_READ_TIMEOUT_MS) and a margin for this busy machine. */
  private static final long READ_TIMEOUT_MS = 30_000;
  private static final long MARGIN_MS = 5_000;

  @TempDir Path work;
  private AofRedis redis;
  private KasokuProcesses cluster;
  private HttpServer originA;
  private HttpServer originB;
  private EdgeLoad load;
  private final AtomicInteger slowRequests = new AtomicInteger();

  @AfterEach
  void stopEverything() throws Exception {
    try {
      if (load != null) {
        load.stop();
      }
    } finally {
      try {
        if (cluster != null) {
          cluster.close();
        }
      } finally {
        if (originA != null) {
          originA.stop(0);
        }
        if (originB != null) {
          originB.stop(0);
        }
        if (redis != null) {
          redis.close();
        }
      }
    }
  }

  /** An origin answering {@code <name> <path>}: {@code /stale-*} for 1 s, everything else for 300 s. */
  private static HttpServer origin(int port, String name) throws IOException {
    HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
    s.setExecutor(daemonPool());
    s.createContext("/", exchange -> {
      String path = exchange.getRequestURI().getPath();
      byte[] body = (name + " " + path).getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Cache-Control", path.startsWith("/stale-") ? "max-age=1" : "max-age=300");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    s.start();
    return s;
  }

  /** An origin that takes the request and never answers (a hung backend). */
  private HttpServer hungOrigin(int port) throws IOException {
    HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
    s.setExecutor(daemonPool());
    s.createContext("/", exchange -> {
      slowRequests.incrementAndGet();
      try {
        Thread.sleep(READ_TIMEOUT_MS * 3);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      exchange.close();
    });
    s.start();
    return s;
  }

  private static java.util.concurrent.ExecutorService daemonPool() {
    return Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "origin");
      t.setDaemon(true);
      return t;
    });
  }

  @Test
  void aDownOrHungOriginCostsOnlyItsUncachedKeysAndOtherSitesAreUnaffected() throws Exception {
    redis = new AofRedis(work.resolve("redis"));
    redis.start();
    originA = origin(0, "a");
    int portA = originA.getAddress().getPort();
    originB = origin(0, "b");

    cluster = new KasokuProcesses("OriginOutageIT", work, redis.url(), 2);
    Node control = cluster.node("control", "auth,config,purge,logging,metrics");
    Node edge = cluster.node("edge", "cache-edge");
    cluster.startAll(control, edge);
    Tenant tenant = cluster.createTenant(control, "Origin outage IT");
    String hostA = "a." + tenant.id() + ".origin-outage.test";
    String hostB = "b." + tenant.id() + ".origin-outage.test";
    KasokuProcesses.putSite(control, tenant, "a", hostA, portA, new JsonObject().put("staleIfError", "5m"));
    KasokuProcesses.putSite(control, tenant, "b", hostB, originB.getAddress().getPort(), new JsonObject());
    cluster.awaitSite(edge, hostA, "/fresh-0", Duration.ofSeconds(30));
    cluster.awaitSite(edge, hostB, "/b-0", Duration.ofSeconds(30));
    for (int i = 0; i < 4; i++) {
      assertThat(cluster.fetch(edge, hostA, "/fresh-" + i, 10_000).status()).isEqualTo(200);
      assertThat(cluster.fetch(edge, hostA, "/stale-" + i, 10_000).status()).isEqualTo(200);
      assertThat(cluster.fetch(edge, hostB, "/b-" + i, 10_000).status()).isEqualTo(200);
    }
    // the /stale-* objects are past their 1 s freshness from here on
    KasokuProcesses.await("the /stale-* objects expired", Duration.ofSeconds(10),
        () -> !cluster.fetch(edge, hostA, "/stale-0", 10_000).cacheStatus().contains("; hit"));

    // --- origin A down: connections refused
    originA.stop(0);
    originA = null;
    AtomicLong unique = new AtomicLong();
    load = new EdgeLoad(3, t -> n -> switch (t) {
      case 0 -> expect(edge, hostA, "/fresh-" + n % 4, "a");
      case 1 -> expect(edge, hostA, "/stale-" + n % 4, "a");
      default -> expect(edge, hostB, n % 2 == 0 ? "/b-" + n % 4 : "/b-new-" + unique.incrementAndGet(), "b");
    });
    long t0 = System.nanoTime();
    Answer refused = cluster.fetch(edge, hostA, "/uncached-1", 20_000);
    long refusedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertThat(refused.status()).as(refused.body()).isEqualTo(502);
    assertThat(refusedMs).as("502 within the connect timeout").isLessThan(5_000 + MARGIN_MS);
    Answer stale = cluster.fetch(edge, hostA, "/stale-0", 20_000);
    assertThat(stale.status()).isEqualTo(200);
    assertThat(stale.body()).isEqualTo("a /stale-0");
    KasokuProcesses.await("load through the down origin", Duration.ofSeconds(30), () -> load.served() > 60);
    load.stop();
    assertThat(load.failed()).as("origin down: %s", load).isZero();
    EdgeLoad downLoad = load;

    // --- origin A hung: accepts, never answers
    originA = hungOrigin(portA);
    load = new EdgeLoad(2, t -> n -> t == 0 ? expect(edge, hostA, "/fresh-" + n % 4, "a")
        : expect(edge, hostB, n % 2 == 0 ? "/b-" + n % 4 : "/b-new-" + unique.incrementAndGet(), "b"));
    CompletableFuture<Answer> staleWhileHung = CompletableFuture.supplyAsync(
        () -> cluster.fetch(edge, hostA, "/stale-1", READ_TIMEOUT_MS + 2 * MARGIN_MS));
    // the edge may still avoid origin A after its failures (a quick 502): ask until a request reaches it
    long hungDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READ_TIMEOUT_MS * 2);
    Answer timedOut;
    long timedOutMs;
    int probe = 0;
    do {
      int before = slowRequests.get();
      long p0 = System.nanoTime();
      timedOut = cluster.fetch(edge, hostA, "/uncached-slow-" + probe++, READ_TIMEOUT_MS + 2 * MARGIN_MS);
      timedOutMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - p0);
      if (slowRequests.get() > before || timedOut.status() != 502) {
        break;
      }
      Thread.sleep(500);
    } while (System.nanoTime() < hungDeadline);
    assertThat(slowRequests.get()).as("a request reached the hung origin").isPositive();
    assertThat(timedOut.status()).as(timedOut.body()).isEqualTo(504);
    assertThat(timedOutMs).as("504 within the read timeout").isLessThan(READ_TIMEOUT_MS + MARGIN_MS);
    Answer staleHung = staleWhileHung.get(READ_TIMEOUT_MS + 3 * MARGIN_MS, TimeUnit.MILLISECONDS);
    assertThat(staleHung.status()).as("stale-if-error while the origin hangs").isEqualTo(200);
    assertThat(staleHung.body()).isEqualTo("a /stale-1");
    load.stop();
    assertThat(load.failed()).as("origin hung: %s", load).isZero();
    assertThat(load.slowestMs()).as("cached keys and site B never wait on the hung origin").isLessThan(5_000);
    EdgeLoad hungLoad = load;

    // --- origin A back
    originA.stop(0);
    originA = origin(portA, "a");
    AtomicInteger n = new AtomicInteger();
    Duration recovery = KasokuProcesses.await("origin A served again", Duration.ofSeconds(30),
        () -> cluster.fetch(edge, hostA, "/back-" + n.incrementAndGet(), 10_000).status() == 200);

    System.out.printf("MEASURED: origin down: uncached 502 in %d ms, load %s; origin hung: uncached 504 in %d ms, "
            + "load %s; origin back: served again after %d ms%n",
        refusedMs, downLoad, timedOutMs, hungLoad, recovery.toMillis());
  }

  private String expect(Node edge, String host, String path, String origin) {
    Answer a = cluster.fetch(edge, host, path, 10_000);
    String want = origin + " " + path;
    return a.status() == 200 && a.body().equals(want) ? null : host + path + ": " + a.status() + " " + a.body();
  }
}
