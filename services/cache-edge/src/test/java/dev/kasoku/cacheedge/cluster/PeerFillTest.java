package dev.kasoku.cacheedge.cluster;

import static dev.kasoku.common.testing.Await.result;
import static dev.kasoku.common.testing.Await.until;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.cacheedge.CacheEdgeVerticle;
import dev.kasoku.cacheedge.engine.PeerRouting;
import dev.kasoku.cacheedge.policy.KeyFormat;
import dev.kasoku.cacheedge.storage.StoredObject;
import dev.kasoku.cacheedge.testing.EdgeHarness;
import dev.kasoku.cacheedge.testing.TestOrigin;
import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages.PurgeCommand;
import dev.kasoku.common.bus.Messages.PurgeScope;
import dev.kasoku.common.bus.RecordCodec;
import dev.kasoku.common.cluster.ClusterBootstrap;
import dev.kasoku.common.http.Health;
import dev.kasoku.common.model.EdgeMember;
import dev.kasoku.common.model.PurgeRecord;
import dev.kasoku.common.store.embedded.EmbeddedStore;
import dev.kasoku.common.testing.MutableClock;
import dev.kasoku.common.testing.OnContext;
import dev.kasoku.common.testing.TempStores;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Peer fill with three edge instances on loopback sharing one store (as edge processes share
 * Redis), real HTTP clients on their public ports and one counting origin: a miss for a key another
 * edge owns goes to the owner, which fills it once for the whole cluster.
 */

class PeerFillTest {
  /**
   * The connect budget of these edges: on a loaded build machine a loopback connect can take longer
   * than the production 50 ms, and the owner would then be skipped, correctly but making the origin
   * fetch counts these tests assert vary. The budget itself is tested in PeerListenerTest.
   */
  private static final Duration PATIENT_CONNECT = Duration.ofSeconds(2);
  private static final byte[] SECRET = "peer-fill-test-secret-of-32-chars!!".getBytes(StandardCharsets.UTF_8);
  private static final String HOST = "www.example.com";

  private Vertx vertx;
  private Path dir;
  private EmbeddedStore store;
  private final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T10:00:00Z"));
  private final List<CacheEdgeVerticle> edges = new ArrayList<>();
  private final List<String> deployments = new ArrayList<>();
  private TestOrigin origin;
  private HttpClient http;

  @BeforeEach
  void start() {
    vertx = Vertx.builder().with(ClusterBootstrap.baseOptions()).build();
    RecordCodec.registerAll(vertx);
    dir = TempStores.newDirectory();
    store = TempStores.embedded(vertx, dir, clock);
    origin = new TestOrigin(vertx);
    String site = "{\"hostnames\":[\"" + HOST + "\"],\"origins\":[{\"url\":\"" + origin.url() + "\"}]}";
    result(store.sites().put(EdgeHarness.TENANT, "www", List.of(HOST), site, "test", clock.instant()));
    for (String node : List.of("edge-1", "edge-2", "edge-3")) {
      CacheEdgeVerticle e = edge(node);
      deployments.add(result(vertx.deployVerticle(e)));
      edges.add(e);
    }
    http = vertx.createHttpClient();
    until("every edge sees all three", () -> edges.stream().allMatch(e -> e.cluster().view().nodes().size() == 3));
  }

  private CacheEdgeVerticle edge(String node) {
    return edge(node, PeerSettings.loopback(SECRET).withConnectTimeout(PATIENT_CONNECT));
  }

  private CacheEdgeVerticle edge(String node, PeerSettings peers) {
    return new CacheEdgeVerticle(store, new Health(), clock, EdgeHarness.defaults(node), null, peers);
  }

  @AfterEach
  void stop() {
    origin.close();
    result(store.close());
    result(vertx.close());
    TempStores.deleteRecursively(dir);
  }


  private String primaryKey(String path) {
    String sitePrefix = edges.get(0).runtime().sites().lookup(HOST).compiled().keyPrefix();
    return KeyFormat.primary(sitePrefix, KeyFormat.GET_CLASS, HOST, path);
  }

  private CacheEdgeVerticle edgeNamed(String node) {
    return edges.stream().filter(e -> e.runtime().settings().nodeId().equals(node)).findFirst().orElseThrow();
  }

  /** A path whose key {@code node} owns. */
  private String pathOwnedBy(String node, String prefix) {
    for (int i = 0; ; i++) {
      String p = prefix + i;
      if (edges.get(0).cluster().view().owner(primaryKey(p)).node().equals(node)) {
        return p;
      }
    }
  }

  private record Answer(int status, String body, String cacheStatus, String age) {}

  private Future<Answer> send(CacheEdgeVerticle through, String path) {
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(through.port())
        .setURI(path).putHeader("Host", HOST);
    return OnContext.exchange(vertx, http, o, a -> new Answer(a.response().statusCode(), a.body().toString(),
        a.response().getHeader("Cache-Status"), a.response().getHeader("Age")));
  }

  private Answer get(CacheEdgeVerticle through, String path) {
    return result(send(through, path));
  }

  private static java.util.Map<PeerRouting.Outcome, Long> outcomes(CacheEdgeVerticle e) {
    java.util.Map<PeerRouting.Outcome, Long> out = new java.util.EnumMap<>(PeerRouting.Outcome.class);
    for (PeerRouting.Outcome o : PeerRouting.Outcome.values()) {
      out.put(o, e.runtime().peers().outcome(o));
    }
    return out;
  }

  private StoredObject storedOn(CacheEdgeVerticle e, String path) {
    return e.runtime().storage().get(KeyFormat.full(primaryKey(path), ""));
  }

  @Test
  void requestsForOneKeyThroughEveryEdgeReachTheOriginOnce() {
    AtomicInteger fetches = new AtomicInteger();
    origin.handle(req -> {
      fetches.incrementAndGet();
      // slow enough that the concurrent requests overlap the fill
      vertx.setTimer(200, t -> req.response().putHeader("Cache-Control", "max-age=60").end("one body"));
    });
    String path = pathOwnedBy("edge-1", "/collapse/");
    List<Future<Answer>> all = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      all.add(send(edges.get(i % 3), path));
    }
    result(Future.all(all));
    for (Future<Answer> f : all) {
      assertThat(f.result().status()).isEqualTo(200);
      assertThat(f.result().body()).isEqualTo("one body");
    }
    // and later ones, sequentially, through the edges that do not own it
    assertThat(get(edgeNamed("edge-2"), path).body()).isEqualTo("one body");
    assertThat(get(edgeNamed("edge-3"), path).body()).isEqualTo("one body");
    assertThat(fetches.get()).as("origin fetches of the key in the cluster (requesters' outcomes: %s, %s)",
        outcomes(edgeNamed("edge-2")), outcomes(edgeNamed("edge-3"))).isEqualTo(1);
    until("stored at the owner", () -> storedOn(edgeNamed("edge-1"), path) != null);
    assertThat(storedOn(edgeNamed("edge-2"), path)).as("not mirrored: the key is not hot there").isNull();
    assertThat(storedOn(edgeNamed("edge-3"), path)).isNull();
  }

  @Test
  void aPeerServedAnswerCarriesTheOwnersAgeAndCacheStatusNamingBothNodes() {
    origin.respond(200, "aged", "Cache-Control", "max-age=60");
    String path = pathOwnedBy("edge-1", "/age/");
    Answer first = get(edgeNamed("edge-2"), path);
    assertThat(first.cacheStatus()).startsWith("Kasoku-edge-1; fwd=uri-miss; fwd-status=200; ttl=60; stored, ")
        .endsWith("Kasoku-edge-2; fwd=peer; fwd-status=200");
    clock.advance(Duration.ofSeconds(7));
    Answer later = get(edgeNamed("edge-3"), path);
    assertThat(later.cacheStatus()).isEqualTo("Kasoku-edge-1; hit; ttl=53, Kasoku-edge-3; fwd=peer; fwd-status=200");
    assertThat(later.age()).as("the age across the hop").isEqualTo("7");
    assertThat(origin.count()).isEqualTo(1);
    PeerRouting r = edgeNamed("edge-3").runtime().peers();
    assertThat(r.outcome(PeerRouting.Outcome.HIT)).isEqualTo(1);
    assertThat(edgeNamed("edge-2").runtime().peers().outcome(PeerRouting.Outcome.FILL)).isEqualTo(1);
    // the three edges of this test share one Vert.x and so one registry: one timer per outcome
    io.micrometer.core.instrument.MeterRegistry registry = dev.kasoku.common.prometheus.Prometheus.registry(vertx);
    assertThat(registry.get("kasoku.edge.peer.latency").tag("outcome", "fill").timer().count()).isEqualTo(1);
    assertThat(registry.get("kasoku.edge.peer.latency").tag("outcome", "hit").timer().count()).isEqualTo(1);
    assertThat(registry.get("kasoku.edge.peer.latency").tag("outcome", "hit").timer()
        .totalTime(java.util.concurrent.TimeUnit.NANOSECONDS)).as("a real hop takes time").isPositive();
    assertThat(registry.get("kasoku.edge.peer.latency").tag("outcome", "timeout").timer().count()).isZero();
  }

  @Test
  void aHotKeyEndsUpStoredOnTheRequesterAndIsThenServedThere() {
    origin.respond(200, "hot", "Cache-Control", "max-age=60", "Surrogate-Key", "hot-tag");
    CacheEdgeVerticle requester = edgeNamed("edge-2");
    requester.runtime().peers().hotPerSecond(3);
    String path = pathOwnedBy("edge-1", "/hot/");
    get(requester, path);
    get(requester, path);
    assertThat(storedOn(requester, path)).as("two requests: not hot yet").isNull();
    get(requester, path);
    StoredObject mirrored = storedOn(requester, path);
    assertThat(mirrored).as("the third request in a second: hot, mirrored").isNotNull();
    assertThat(mirrored.tags()).containsExactly("hot-tag");
    assertThat(requester.runtime().peers().mirroredObjects()).isEqualTo(1);
    Answer local = get(requester, path);
    assertThat(local.cacheStatus()).isEqualTo("Kasoku; hit; ttl=60");
    assertThat(origin.count()).isEqualTo(1);
  }

  @Test
  void aStaleMirroredCopyIsRevalidatedThroughTheOwnerOnceForBoth() {
    origin.respond(200, "v", "Cache-Control", "max-age=60");
    CacheEdgeVerticle requester = edgeNamed("edge-2");
    requester.runtime().peers().hotPerSecond(1);
    String path = pathOwnedBy("edge-1", "/stale/");
    get(requester, path);
    assertThat(storedOn(requester, path)).as("mirrored").isNotNull();
    clock.advance(Duration.ofSeconds(61));
    Answer again = get(requester, path);
    assertThat(again.status()).isEqualTo(200);
    assertThat(again.cacheStatus()).startsWith("Kasoku-edge-1; fwd=uri-miss; fwd-status=200; ttl=60; stored, ")
        .contains("Kasoku-edge-2; fwd=peer");
    assertThat(origin.count()).as("the owner revalidated its own stale copy for the requester").isEqualTo(2);
    assertThat(storedOn(requester, path).freshness().ttlSeconds(clock.instant())).as("the mirror is fresh again")
        .isEqualTo(60);
    assertThat(get(edgeNamed("edge-1"), path).cacheStatus()).isEqualTo("Kasoku; hit; ttl=60");
  }

  @Test
  void aMirroredCopyIsPurgedLikeAnyOther() {
    origin.respond(200, "mirrored", "Cache-Control", "max-age=600", "Surrogate-Key", "product-7");
    CacheEdgeVerticle requester = edgeNamed("edge-2");
    requester.runtime().peers().hotPerSecond(1);
    String path = pathOwnedBy("edge-1", "/purge/");
    get(requester, path);
    assertThat(storedOn(requester, path)).isNotNull();
    clock.advance(Duration.ofSeconds(1));
    PurgeRecord rec = result(store.purgeLog().append(new PurgeRecord(0, "p-mirror", EdgeHarness.TENANT,
        PurgeScope.TAG, List.of("product-7"), false, "test", clock.instant())));
    Addresses.PURGE.publish(vertx.eventBus(), new PurgeCommand(rec.id(), rec.seq(), EdgeHarness.TENANT,
        PurgeScope.TAG, List.of("product-7"), false, clock.instant()));
    until("the mirrored copy is purged", () -> storedOn(requester, path) == null);
    until("and the owner's", () -> storedOn(edgeNamed("edge-1"), path) == null);
  }

  @Test
  void aStoppedOwnerNeverFailsARequestItIsSkippedAndSuspected() {
    origin.respond(200, "from origin", "Cache-Control", "max-age=60");
    CacheEdgeVerticle requester = edgeNamed("edge-2");
    String path = pathOwnedBy("edge-1", "/down/");
    // the owner dies without leaving: its record stays in the table until its lease runs out
    EdgeMember dead = requester.cluster().view().members().stream().filter(m -> m.node().equals("edge-1"))
        .findFirst().orElseThrow();
    result(vertx.undeploy(deployments.get(0)));
    result(store.edgeMembers().record(new EdgeMember(dead.node(), dead.peerAddress(), clock.instant(),
        clock.instant().plus(PeerSettings.DEFAULT_LEASE))));
    until("the requester sees the dead owner again", () -> requester.cluster().view().nodes().size() == 3);

    long start = System.nanoTime();
    Answer a = get(requester, path);
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.body()).isEqualTo("from origin");
    assertThat(a.cacheStatus()).isEqualTo("Kasoku; fwd=uri-miss; fwd-status=200; ttl=60; stored");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    PeerRouting r = requester.runtime().peers();
    assertThat(r.outcome(PeerRouting.Outcome.UNREACHABLE)).isEqualTo(1);
    assertThat(r.suspected("edge-1")).isTrue();
    assertThat(storedOn(requester, path)).as("degraded to an independent cache: stored here").isNotNull();

    String other = pathOwnedBy("edge-1", "/down-other/");
    assertThat(get(requester, other).status()).isEqualTo(200);
    assertThat(r.outcome(PeerRouting.Outcome.UNREACHABLE)).as("a suspect is not asked again").isEqualTo(1);

    // a heartbeat recorded after the failure is what makes it an owner to ask again
    clock.advance(Duration.ofSeconds(1));
    result(store.edgeMembers().record(new EdgeMember(dead.node(), dead.peerAddress(), clock.instant(),
        clock.instant().plus(PeerSettings.DEFAULT_LEASE))));
    until("the requester sees the later heartbeat", () -> requester.cluster().view().members().stream()
        .anyMatch(m -> m.node().equals("edge-1") && m.heartbeatAt().equals(clock.instant())));
    assertThat(get(requester, pathOwnedBy("edge-1", "/down-third/")).status()).isEqualTo(200);
    assertThat(r.outcome(PeerRouting.Outcome.UNREACHABLE)).as("asked again after its heartbeat").isEqualTo(2);
    assertThat(r.suspected("edge-1")).as("and suspected again: it still does not answer").isTrue();
  }

  @Test
  void withPeerFillOffEveryEdgeFillsFromTheOriginOnItsOwn() {
    origin.respond(200, "independent", "Cache-Control", "max-age=60");
    edges.forEach(e -> e.runtime().peers().enabled(false));
    String path = pathOwnedBy("edge-1", "/off/");
    assertThat(get(edgeNamed("edge-2"), path).cacheStatus()).isEqualTo("Kasoku; fwd=uri-miss; fwd-status=200; ttl=60; stored");
    get(edgeNamed("edge-3"), path);
    assertThat(origin.count()).isEqualTo(2);
    assertThat(storedOn(edgeNamed("edge-2"), path)).isNotNull();
  }

  @Test
  void anOwnerWithPeerFillOffDoesNotFillForPeersSoTheRequesterAsksTheOrigin() {
    origin.respond(200, "x", "Cache-Control", "max-age=60");
    // the settings an edge gets from KASOKU_EDGE_PEER_FILL=off
    CacheEdgeVerticle off = edge("edge-0", PeerSettings.loopback(SECRET).withConnectTimeout(PATIENT_CONNECT).withPeerFill(false));
    result(vertx.deployVerticle(off));
    edges.add(off);
    until("every edge sees all four", () -> edges.stream().allMatch(e -> e.cluster().view().nodes().size() == 4));
    assertThat(off.runtime().peers().enabled()).isFalse();
    String path = pathOwnedBy("edge-0", "/owner-off/");
    CacheEdgeVerticle requester = edgeNamed("edge-2");
    Answer a = get(requester, path);
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.cacheStatus()).isEqualTo("Kasoku; fwd=uri-miss; fwd-status=200; ttl=60; stored");
    assertThat(requester.runtime().peers().outcome(PeerRouting.Outcome.NOT_HERE)).isEqualTo(1);
    assertThat(origin.count()).isEqualTo(1);
  }

  @Test
  void passThroughAndUnsafeMethodsGoStraightToTheOrigin() {
    origin.respond(200, "posted", "Cache-Control", "no-store");
    CacheEdgeVerticle requester = edgeNamed("edge-2");
    String path = pathOwnedBy("edge-1", "/post/");
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
        .setPort(requester.port()).setURI(path).putHeader("Host", HOST);
    assertThat(result(http.request(o).compose(r -> r.send("x")).compose(HttpClientResponse::body)).toString())
        .isEqualTo("posted");
    PeerRouting r = requester.runtime().peers();
    for (PeerRouting.Outcome out : PeerRouting.Outcome.values()) {
      assertThat(r.outcome(out)).as(out.name()).isZero();
    }
  }
}
