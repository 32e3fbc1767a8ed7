package dev.kasoku.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.testing.TestRedis;
import dev.kasoku.launcher.KasokuProcesses.Answer;
import dev.kasoku.launcher.KasokuProcesses.Node;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Peer fill between edge processes started from the built jar: a control process and three edges
 * as a deployment starts them, with no peer-fill setting (it is on by default), behind a round-robin
 * client, sharing the fixture's counting origin.
 *
 * <ul>
 *   <li>1,000 distinct cacheable URLs, each requested 5 times, each time through the next edge: the
 *       origin is asked at most once per URL (three independent caches would be asked up to three
 *       times), and every edge that forwarded a URL to a peer names the same owner for it;
 *   <li>a fourth edge joins: asking it for every URL shows each URL's owner now (it holds nothing,
 *       so each answer is its own fill or a peer's); at most 30 % of the owners change (rendezvous
 *       hashing moves the keys the newcomer wins, 1/4 in the ideal) and every URL that moved, moved
 *       to the newcomer;
 *   <li>an edge is SIGKILLed while 1,000 new URLs are requested 5 times through the four edges: no
 *       request sent through a surviving edge fails (the client, as a balancer would, sends a
 *       request refused at connect, or cut by the kill, to the next edge).
 * </ul>
 *
 * <p>Membership is awaited before each phase by sending each edge misses until its peer answers
 * ({@code Cache-Status: Kasoku-<owner>; ..., Kasoku-<edge>; fwd=peer}) have named every other
 * edge. Bounded: five processes, four client threads, 10 s per request, everything on loopback; the
 * fixture stops every process it started, passed or failed.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class PeerFillClusterIT {
  private static final int URLS = 1_000;
  private static final int PASSES = 5;
  private static final int THREADS = 4;

  @TempDir Path work;
  private KasokuProcesses cluster;
  private ExecutorService clients;

  @AfterEach
  void stopEverything() throws Exception {
    if (clients != null) {
      clients.shutdownNow();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void edgesFillEachUrlOnceForTheClusterAJoinMovesAQuarterOfTheKeysAndAKilledEdgeFailsNoRequest() throws Exception {
    cluster = new KasokuProcesses("PeerFillClusterIT", work, TestRedis.url(), 5);
    Node control = cluster.node("control", "auth,config,purge,logging,metrics");
    List<Node> edges = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      edges.add(cluster.node("edge-" + i, "cache-edge"));
    }
    Node joiner = cluster.node("edge-4", "cache-edge");
    long t0 = System.nanoTime();
    cluster.startAll(control, edges.get(0), edges.get(1), edges.get(2));
    cluster.origin();
    cluster.createTenantAndSite(control, "Peer fill IT");
    for (Node edge : edges) {
      cluster.awaitSite(edge, cluster.host(), "/warm", Duration.ofSeconds(30));
    }
    cluster.awaitMembership(edges, Duration.ofSeconds(30));
    long readyMs = (System.nanoTime() - t0) / 1_000_000;

    // 1,000 URLs x 5 through alternating edges: one origin fetch per URL for the cluster
    int originBefore = cluster.originRequests.get();
    RoundRobin fill = new RoundRobin(edges, "/k/", Set.of());
    fill.run();
    int fetched = cluster.originRequests.get() - originBefore;
    assertThat(fill.failed.get()).as("requests through live edges that failed: %s", fill.failures).isZero();
    assertThat(fill.served.get()).isEqualTo(URLS * PASSES);
    assertThat(fetched).as("origin fetches for %d URLs requested %d times over 3 edges", URLS, PASSES)
        .isLessThanOrEqualTo(URLS);
    Map<Integer, String> ownerBefore = new ConcurrentHashMap<>();
    for (int k = 0; k < URLS; k++) {
      Set<String> named = fill.owners.getOrDefault(k, Set.of());
      assertThat(named).as("owners named for /k/%d", k).hasSize(1);
      ownerBefore.put(k, named.iterator().next());
    }

    // a fourth edge joins: it holds nothing, so its answer for each URL names the owner now
    long joinAt = System.nanoTime();
    cluster.start(joiner);
    cluster.awaitReady(joiner);
    cluster.awaitSite(joiner, cluster.host(), "/warm", Duration.ofSeconds(30));
    List<Node> four = new ArrayList<>(edges);
    four.add(joiner);
    cluster.awaitMembership(four, Duration.ofSeconds(30));
    long joinMs = (System.nanoTime() - joinAt) / 1_000_000;
    int originBeforeJoinPass = cluster.originRequests.get();
    int moved = 0;
    List<String> movedElsewhere = new ArrayList<>();
    for (int k = 0; k < URLS; k++) {
      Answer a = request(joiner, "/k/" + k);
      assertThat(a.status()).as("/k/%d through %s: %s", k, joiner, a).isEqualTo(200);
      String owner = Objects.requireNonNullElse(KasokuProcesses.peerOwner(a), joiner.name());
      if (!owner.equals(ownerBefore.get(k))) {
        moved++;
        if (!owner.equals(joiner.name())) {
          movedElsewhere.add("/k/" + k + " " + ownerBefore.get(k) + " -> " + owner);
        }
      }
    }
    int refetched = cluster.originRequests.get() - originBeforeJoinPass;
    assertThat(moved).as("keys whose owner changed when a 4th edge joined (ideal 250)").isBetween(1, URLS * 30 / 100);
    assertThat(movedElsewhere).as("keys that moved to an edge other than the newcomer").isEmpty();
    assertThat(refetched).as("origin fetches for the keys the newcomer took over").isLessThanOrEqualTo(moved);

    // SIGKILL of an edge under load: no request through a surviving edge fails
    Node victim = edges.get(1);
    RoundRobin underKill = new RoundRobin(four, "/x/", Set.of(victim));
    clients = Executors.newSingleThreadExecutor();
    Future<?> load = clients.submit(() -> {
      underKill.run();
      return null;
    });
    assertThat(KasokuProcesses.eventually(Duration.ofSeconds(60), () -> underKill.served.get() >= URLS * PASSES / 4))
        .as("the load is served; failures %s", underKill.failures).isTrue();
    long killedAt = System.nanoTime();
    long servedAtKill = underKill.served.get();
    underKill.killed = true;
    cluster.kill(victim);
    load.get(120, TimeUnit.SECONDS);
    long afterKillMs = (System.nanoTime() - killedAt) / 1_000_000;
    assertThat(underKill.failed.get())
        .as("requests through surviving edges that got a 5xx, a reset or no answer: %s", underKill.failures).isZero();
    assertThat(underKill.served.get()).isEqualTo(URLS * PASSES);
    assertThat(underKill.refused.get() + underKill.cutByKill.get()).as("requests the kill sent to the next edge")
        .isPositive();

    System.out.printf("PeerFillClusterIT: ready %d ms; %d URLs x %d over 3 edges: %d origin fetches; "
            + "join in %d ms: %d keys moved (%d refetched); kill after %d served: %d refused, %d cut, "
            + "%d served in %d ms after it%n",
        readyMs, URLS, PASSES, fetched, joinMs, moved, refetched, servedAtKill, underKill.refused.get(),
        underKill.cutByKill.get(), underKill.served.get() - servedAtKill, afterKillMs);
  }

  /** One request on a new connection, bounded at 10 s (a hang fails the request, not the run). */
  private Answer request(Node edge, String path) throws IOException {
    try (Socket s = KasokuProcesses.connect(edge.edgePort())) {
      s.setSoTimeout(10_000);
      return KasokuProcesses.exchange(s, cluster.host(), path, true);
    }
  }

  /**
   * {@link #URLS} paths under a prefix, each requested {@link #PASSES} times by {@link #THREADS}
   * client threads, pass after pass; request {@code j} of path {@code k} goes to edge
   * {@code (k + j) mod n}, so each path is asked of every edge. A request refused at connect, or
   * one cut before its answer on an edge the test is about to kill ({@code mayDie}), goes to the
   * next edge, as a balancer retries an idempotent request; anything else that is not the origin's
   * 200 for that path fails. The owner named by each peer answer is recorded per path.
   */
  private final class RoundRobin {
    private final List<Node> edges;
    private final String prefix;
    private final Set<Node> mayDie;
    final AtomicLong served = new AtomicLong();
    final AtomicLong refused = new AtomicLong();
    final AtomicLong cutByKill = new AtomicLong();
    /** Set just before an edge of {@code mayDie} is killed: from then on a cut there is the kill's. */
    volatile boolean killed;
    final AtomicLong failed = new AtomicLong();
    final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    final Map<Integer, Set<String>> owners = new ConcurrentHashMap<>();

    RoundRobin(List<Node> edges, String prefix, Set<Node> mayDie) {
      this.edges = List.copyOf(edges);
      this.prefix = prefix;
      this.mayDie = mayDie;
    }

    void run() throws Exception {
      ExecutorService pool = Executors.newFixedThreadPool(THREADS);
      try {
        for (int pass = 0; pass < PASSES; pass++) {
          int j = pass;
          List<Future<?>> slices = new ArrayList<>();
          for (int t = 0; t < THREADS; t++) {
            int first = t;
            slices.add(pool.submit(() -> {
              for (int k = first; k < URLS; k += THREADS) {
                one(k, j);
              }
            }));
          }
          for (Future<?> f : slices) {
            f.get(120, TimeUnit.SECONDS);
          }
        }
      } finally {
        pool.shutdownNow();
      }
    }

    private void one(int k, int pass) {
      String path = prefix + k;
      for (int attempt = 0; attempt < edges.size(); attempt++) {
        Node edge = edges.get((k + pass + attempt) % edges.size());
        Answer a;
        try {
          a = request(edge, path);
        } catch (ConnectException e) {
          refused.incrementAndGet();
          continue;
        } catch (IOException e) {
          if (killed && mayDie.contains(edge)) {
            cutByKill.incrementAndGet();
            continue;
          }
          failure(path, edge, e.toString());
          return;
        }
        if (a.status() == 200 && a.body().equals(KasokuProcesses.body(path, 1))) {
          served.incrementAndGet();
          String owner = KasokuProcesses.peerOwner(a);
          if (owner != null) {
            owners.computeIfAbsent(k, x -> ConcurrentHashMap.newKeySet()).add(owner);
          }
        } else {
          failure(path, edge, a.toString());
        }
        return;
      }
      failure(path, null, "no edge answered");
    }

    private void failure(String path, Node edge, String what) {
      if (failed.incrementAndGet() <= 20) {
        failures.add(System.currentTimeMillis() + " " + edge + " " + path + ": " + what);
      }
    }
  }
}
