package dev.kasoku.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.kasoku.common.testing.TestRedis;
import dev.kasoku.launcher.KasokuProcesses.Answer;
import dev.kasoku.launcher.KasokuProcesses.Node;
import dev.kasoku.launcher.KasokuProcesses.Tenant;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
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
 * has a timeout, and every process this test started is killed after it, passed or failed
 * ({@link KasokuProcesses}). The tenant (and so everything it put in Redis) is deleted at the end.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ClusterProcessesIT {
  /** RFC 9211: forwarded because nothing was stored (for this URI, or for this variant). */
  private static final String MISS = "Kasoku; fwd=(uri-)?miss; .*";

  @TempDir Path work;
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
    }
  }

  @Test
  void twoEdgeProcessesFillHitAndBothMissAfterAPurgeThroughTheControlProcess() throws Exception {
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

    cluster = new KasokuProcesses("ClusterProcessesIT", work, TestRedis.url(), 3);
    long t0 = System.nanoTime();
    Node control = cluster.node("control", "auth,config,purge,logging,metrics");
    // each edge fills and holds its own copy here, so the purge is seen reaching both copies; peer
    // fill (on by default, one copy per cluster) is PeerFillClusterIT's subject
    Map<String, String> ownCopies = Map.of("KASOKU_EDGE_PEER_FILL", "off");
    Node edge1 = cluster.node("edge-1", "cache-edge", ownCopies);
    Node edge2 = cluster.node("edge-2", "cache-edge", ownCopies);
    cluster.startAll(control, edge1, edge2);
    long readyMs = (System.nanoTime() - t0) / 1_000_000;

    Tenant tenant = cluster.createTenant(control, "Processes IT");
    String host = "www." + tenant.id() + ".processes.test";
    KasokuProcesses.putSite(control, tenant, "www", host, origin.getAddress().getPort(), new JsonObject());
    cluster.awaitSite(edge1, host, "/warm", Duration.ofSeconds(20));
    cluster.awaitSite(edge2, host, "/warm", Duration.ofSeconds(20));

    int before = originRequests.get();
    for (Node edge : List.of(edge1, edge2)) {
      Answer first = cluster.fetch(edge, host, "/page", 20_000);
      assertThat(first.status()).isEqualTo(200);
      assertThat(first.body()).isEqualTo("page /page");
      assertThat(first.cacheStatus()).as(edge.name()).matches(MISS);
      Answer second = cluster.fetch(edge, host, "/page", 20_000);
      assertThat(second.body()).isEqualTo("page /page");
      assertThat(second.cacheStatus()).as(edge.name()).contains("; hit");
    }
    assertThat(originRequests.get() - before).as("one origin fill per edge").isEqualTo(2);

    HttpResponse<String> purge = KasokuProcesses.api(control, "POST", "/v1/tenants/" + tenant.id() + "/purge?wait=true",
        tenant.key(), new JsonObject().put("urls", new JsonArray().add("http://" + host + "/page")));
    assertThat(purge.statusCode()).as(purge.body()).isEqualTo(202);
    assertThat(new JsonObject(purge.body()).getString("status")).as(purge.body()).isEqualTo("done");

    for (Node edge : List.of(edge1, edge2)) {
      Answer after = cluster.fetch(edge, host, "/page", 20_000);
      assertThat(after.status()).isEqualTo(200);
      assertThat(after.cacheStatus()).as("%s after the purge", edge.name()).matches(MISS);
    }
    assertThat(originRequests.get() - before).as("both edges fetched again after the purge").isEqualTo(4);
    System.out.printf("MEASURED: three Kasoku processes ready %d ms after launch; purge done in %s%n",
        readyMs, new JsonObject(purge.body()).getValue("tookMs"));

    HttpResponse<String> deleted = KasokuProcesses.api(control, "DELETE", "/v1/tenants/" + tenant.id(),
        KasokuProcesses.OPERATOR, null);
    assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(202);
    for (Node n : List.of(control, edge1, edge2)) {
      assertThat(cluster.terminate(n)).as("%s exits 0 after SIGTERM:%n%s", n.name(), n.output()).isZero();
    }
  }
}
