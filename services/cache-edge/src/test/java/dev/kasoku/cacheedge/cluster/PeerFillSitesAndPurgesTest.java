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
import dev.kasoku.common.store.embedded.EmbeddedStore;
import dev.kasoku.common.testing.MutableClock;
import dev.kasoku.common.testing.OnContext;
import dev.kasoku.common.testing.TempStores;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Peer fill's two site- and purge-level limits, with three edges on loopback sharing one store (as
 * edge processes share Redis), real HTTP clients on their public ports, their real peer ports and
 * one origin: a site with {@code "peerFill": false} never goes through an owner, and an owner that
 * has not applied a purge yet cannot hand a requester that has the copy the purge removed.
 */
class PeerFillSitesAndPurgesTest {
  /**
   * The connect budget of these edges: on a loaded build machine a loopback connect can take longer
   * than the production 50 ms, and the owner would then be skipped, correctly but making the origin
   * fetch counts these tests assert vary. The budget itself is tested in PeerListenerTest.
   */
  private static final Duration PATIENT_CONNECT = Duration.ofSeconds(2);
  private static final byte[] SECRET = "peer-site-test-secret-of-32-chars!!!".getBytes(StandardCharsets.UTF_8);
  private static final String HOST = "www.example.com";
  private static final String SOLO = "solo.example.com";

  private Vertx vertx;
  private Path dir;
  private EmbeddedStore store;
  private final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T10:00:00Z"));
  private final List<CacheEdgeVerticle> edges = new ArrayList<>();
  private TestOrigin origin;
  private HttpClient http;
  private long purgeSeq;

  @BeforeEach
  void start() {
    vertx = Vertx.builder().with(ClusterBootstrap.baseOptions()).build();
    RecordCodec.registerAll(vertx);
    dir = TempStores.newDirectory();
    store = TempStores.embedded(vertx, dir, clock);
    origin = new TestOrigin(vertx);
    result(store.sites().put(EdgeHarness.TENANT, "www", List.of(HOST),
        "{\"hostnames\":[\"" + HOST + "\"],\"origins\":[{\"url\":\"" + origin.url() + "\"}]}", "test", clock.instant()));
    result(store.sites().put(EdgeHarness.TENANT, "solo", List.of(SOLO),
        "{\"hostnames\":[\"" + SOLO + "\"],\"origins\":[{\"url\":\"" + origin.url() + "\"}],\"peerFill\":false}",
        "test", clock.instant()));
    for (String node : List.of("edge-1", "edge-2", "edge-3")) {
      CacheEdgeVerticle e = new CacheEdgeVerticle(store, new Health(), clock, EdgeHarness.defaults(node), null,
          PeerSettings.loopback(SECRET).withConnectTimeout(PATIENT_CONNECT));
      result(vertx.deployVerticle(e));
      edges.add(e);
    }
    http = vertx.createHttpClient();
    until("every edge sees all three", () -> edges.stream().allMatch(e -> e.cluster().view().nodes().size() == 3));
  }

  @AfterEach
  void stop() {
    origin.close();
    result(store.close());
    result(vertx.close());
    TempStores.deleteRecursively(dir);
  }


  private CacheEdgeVerticle edgeNamed(String node) {
    return edges.stream().filter(e -> e.runtime().settings().nodeId().equals(node)).findFirst().orElseThrow();
  }

  private String primaryKey(String host, String path) {
    String sitePrefix = edges.get(0).runtime().sites().lookup(host).compiled().keyPrefix();
    return KeyFormat.primary(sitePrefix, KeyFormat.GET_CLASS, host, path);
  }

  private String pathOwnedBy(String node, String host, String prefix) {
    for (int i = 0; ; i++) {
      String p = prefix + i;
      if (edges.get(0).cluster().view().owner(primaryKey(host, p)).node().equals(node)) {
        return p;
      }
    }
  }

  private record Answer(int status, String body, String cacheStatus) {}

  private Answer get(CacheEdgeVerticle through, String host, String path) {
    return send(HttpMethod.GET, through, host, path);
  }

  private Answer send(HttpMethod method, CacheEdgeVerticle through, String host, String path) {
    RequestOptions o = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(through.port())
        .setURI(path).putHeader("Host", host);
    return result(OnContext.exchange(vertx, http, o, a -> new Answer(a.response().statusCode(), a.body().toString(),
        a.response().getHeader("Cache-Status"))));
  }

  private StoredObject storedOn(CacheEdgeVerticle e, String host, String path) {
    return e.runtime().storage().get(KeyFormat.full(primaryKey(host, path), ""));
  }

  private static long sumOfOutcomes(PeerRouting r) {
    long n = 0;
    for (PeerRouting.Outcome o : PeerRouting.Outcome.values()) {
      n += r.outcome(o);
    }
    return n;
  }

  /** The origin answers {@code body} at first, then whatever {@code next} is set to. */
  private AtomicReference<String> versionedOrigin(String body, String tag) {
    AtomicReference<String> current = new AtomicReference<>(body);
    origin.handle(req -> req.response().putHeader("Cache-Control", "max-age=600").putHeader("Surrogate-Key", tag)
        .end(current.get()));
    return current;
  }

  /**
   * A purge that reaches {@code edge} only: published on the bus (not appended to the purge log,
   * so no edge's log replay finds it) while every other edge's purge agent is not reading the bus.
   */
  private void purgeOnlyAt(CacheEdgeVerticle edge, PurgeScope scope, String target, boolean soft) {
    for (CacheEdgeVerticle e : edges) {
      if (e != edge) {
        result(e.purge().agent().pauseBus());
      }
    }
    long before = edge.purge().agent().appliedCount();
    long seq = ++purgeSeq;
    Addresses.PURGE.publish(vertx.eventBus(), new PurgeCommand("p-only-" + seq, seq, EdgeHarness.TENANT, scope,
        List.of(target), soft, clock.instant()));
    until("the purge applied at " + edge.runtime().settings().nodeId(),
        () -> edge.purge().agent().appliedCount() > before);
  }

  @Test
  void aSiteWithPeerFillOffIsFilledFromTheOriginByEachEdgeItself() {
    origin.respond(200, "solo", "Cache-Control", "max-age=60");
    String path = pathOwnedBy("edge-1", SOLO, "/solo/");
    Answer a = get(edgeNamed("edge-2"), SOLO, path);
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.cacheStatus()).as("no owner hop").isEqualTo("Kasoku; fwd=uri-miss; fwd-status=200; ttl=60; stored");
    get(edgeNamed("edge-3"), SOLO, path);
    assertThat(origin.count()).as("each edge asked the origin itself").isEqualTo(2);
    assertThat(sumOfOutcomes(edgeNamed("edge-2").runtime().peers())).as("no peer request").isZero();
    assertThat(sumOfOutcomes(edgeNamed("edge-3").runtime().peers())).isZero();
    assertThat(storedOn(edgeNamed("edge-2"), SOLO, path)).as("stored as by an independent cache").isNotNull();
    assertThat(storedOn(edgeNamed("edge-1"), SOLO, path)).as("the owner was not involved").isNull();

    // the other site of the same edges still goes through its owner
    String shared = pathOwnedBy("edge-1", HOST, "/shared/");
    assertThat(get(edgeNamed("edge-2"), HOST, shared).cacheStatus()).contains("Kasoku-edge-2; fwd=peer");
    assertThat(edgeNamed("edge-2").runtime().peers().outcome(PeerRouting.Outcome.FILL)).isEqualTo(1);
  }

  @Test
  void aHeadMissForAKeyAnotherEdgeOwnsGoesToTheOriginNotToTheOwner() {
    origin.respond(200, "head", "Cache-Control", "max-age=60");
    String path = pathOwnedBy("edge-1", HOST, "/head/");
    Answer head = send(HttpMethod.HEAD, edgeNamed("edge-2"), HOST, path);
    assertThat(head.status()).isEqualTo(200);
    assertThat(sumOfOutcomes(edgeNamed("edge-2").runtime().peers())).as("only a GET is sent to the owner").isZero();
    assertThat(origin.count()).as("the HEAD was forwarded to the origin").isEqualTo(1);
    assertThat(storedOn(edgeNamed("edge-1"), HOST, path)).as("the owner was not involved").isNull();

    assertThat(get(edgeNamed("edge-2"), HOST, path).cacheStatus()).as("while a GET of the key is")
        .contains("Kasoku-edge-2; fwd=peer");
  }

  @Test
  void anOwnerAnswersPeersForASiteWithPeerFillOffFromItsStorageOnly() {
    origin.respond(200, "solo", "Cache-Control", "max-age=60");
    String path = pathOwnedBy("edge-1", SOLO, "/owner/");
    CacheEdgeVerticle owner = edgeNamed("edge-1");
    // a requester that still routes the site (an edge whose site table is a change behind) asks the owner
    EdgeMember ownerMember = edgeNamed("edge-2").cluster().view().owner(primaryKey(SOLO, path));
    PeerClient client = edgeNamed("edge-2").cluster().client();
    PeerResponse missing = result(client.fetch(ownerMember, PeerRequest.get(primaryKey(SOLO, path),
        MultiMap.caseInsensitiveMultiMap())));
    assertThat(missing).as("not filled for the peer").isInstanceOf(PeerResponse.NotHere.class);
    assertThat(origin.count()).as("the owner did not ask the origin on the peer's behalf").isZero();

    get(owner, SOLO, path); // the owner's own client: stored there
    PeerResponse held = result(client.fetch(ownerMember, PeerRequest.get(primaryKey(SOLO, path),
        MultiMap.caseInsensitiveMultiMap())));
    assertThat(held).isInstanceOf(PeerResponse.Found.class);
    PeerResponse.Found found = (PeerResponse.Found) held;
    assertThat(found.filled()).as("answered from storage").isFalse();
    assertThat(found.state()).isEqualTo(PeerResponse.State.FRESH);
    assertThat(found.status()).isEqualTo(200);
    found.abort().run(); // the body is not needed

    clock.advance(Duration.ofSeconds(61));
    PeerResponse stale = result(client.fetch(ownerMember, PeerRequest.get(primaryKey(SOLO, path),
        MultiMap.caseInsensitiveMultiMap())));
    assertThat(stale).as("a stale copy is not revalidated for the peer").isInstanceOf(PeerResponse.NotHere.class);
    assertThat(origin.count()).isEqualTo(1);
  }

  @Test
  void anOwnersCopyFromBeforeAHardPurgeAppliedOnlyAtTheRequesterIsNeverServedNorMirrored() {
    AtomicReference<String> body = versionedOrigin("before", "product-1");
    CacheEdgeVerticle owner = edgeNamed("edge-1");
    CacheEdgeVerticle requester = edgeNamed("edge-2");
    requester.runtime().peers().hotPerSecond(1); // every owner answer would be mirrored
    String path = pathOwnedBy("edge-1", HOST, "/hard/");
    assertThat(get(owner, HOST, path).body()).isEqualTo("before");
    body.set("after");
    clock.advance(Duration.ofSeconds(1));
    purgeOnlyAt(requester, PurgeScope.URL, HOST + path, false); // the bus form: host/path
    clock.advance(Duration.ofSeconds(1)); // the request after it is not one that raced it (PurgeGuard)
    assertThat(storedOn(owner, HOST, path)).as("the owner has not applied it").isNotNull();

    Answer a = get(requester, HOST, path);
    assertThat(a.body()).isEqualTo("after");
    assertThat(a.cacheStatus()).as("from the origin, not through the owner")
        .isEqualTo("Kasoku; fwd=uri-miss; fwd-status=200; ttl=600; stored");
    PeerRouting r = requester.runtime().peers();
    assertThat(r.outcome(PeerRouting.Outcome.PURGED)).isEqualTo(1);
    assertThat(r.outcome(PeerRouting.Outcome.HIT)).isZero();
    assertThat(r.mirroredObjects()).as("the owner's copy was not stored here").isZero();
    assertThat(storedOn(requester, HOST, path).body().length()).as("what is stored here is the origin's")
        .isEqualTo("after".length());
    assertThat(origin.count()).isEqualTo(2);
  }

  @Test
  void anOwnersCopyFromBeforeASoftTagPurgeAppliedOnlyAtTheRequesterIsNotServedEither() {
    AtomicReference<String> body = versionedOrigin("before", "product-2");
    CacheEdgeVerticle owner = edgeNamed("edge-1");
    CacheEdgeVerticle requester = edgeNamed("edge-2");
    String path = pathOwnedBy("edge-1", HOST, "/soft/");
    get(owner, HOST, path);
    body.set("after");
    clock.advance(Duration.ofSeconds(1));
    purgeOnlyAt(requester, PurgeScope.TAG, "product-2", true);
    clock.advance(Duration.ofSeconds(1));

    assertThat(get(requester, HOST, path).body()).isEqualTo("after");
    assertThat(requester.runtime().peers().outcome(PeerRouting.Outcome.PURGED)).isEqualTo(1);
    // an edge that did not apply the purge still gets the owner's copy, as before
    assertThat(get(edgeNamed("edge-3"), HOST, path).body()).isEqualTo("before");
    assertThat(edgeNamed("edge-3").runtime().peers().outcome(PeerRouting.Outcome.HIT)).isEqualTo(1);
  }

  @Test
  void anOwnersCopyFetchedAfterThePurgeIsServedThroughTheOwner() {
    AtomicReference<String> body = versionedOrigin("after", "product-3");
    CacheEdgeVerticle owner = edgeNamed("edge-1");
    CacheEdgeVerticle requester = edgeNamed("edge-2");
    String path = pathOwnedBy("edge-1", HOST, "/later/");
    purgeOnlyAt(requester, PurgeScope.TAG, "product-3", false);
    clock.advance(Duration.ofSeconds(1));
    get(owner, HOST, path);
    clock.advance(Duration.ofSeconds(1));

    Answer a = get(requester, HOST, path);
    assertThat(a.body()).isEqualTo(body.get());
    assertThat(a.cacheStatus()).startsWith("Kasoku-edge-1; hit;").endsWith("Kasoku-edge-2; fwd=peer; fwd-status=200");
    PeerRouting r = requester.runtime().peers();
    assertThat(r.outcome(PeerRouting.Outcome.HIT)).isEqualTo(1);
    assertThat(r.outcome(PeerRouting.Outcome.PURGED)).isZero();
    assertThat(origin.count()).isEqualTo(1);
  }
}
