package dev.kasoku.cacheedge.cluster;

import static dev.kasoku.common.testing.Await.failure;
import static dev.kasoku.common.testing.Await.result;
import static dev.kasoku.common.testing.Await.until;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.cacheedge.CacheEdgeVerticle;
import dev.kasoku.cacheedge.policy.KeyFormat;
import dev.kasoku.cacheedge.testing.EdgeHarness;
import dev.kasoku.cacheedge.testing.TestOrigin;
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
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two edge instances on loopback sharing one store, as two edge processes share Redis: each records
 * itself in the edge table, both derive the same members, and one asks the other for objects over
 * the peer port with a real HTTP client. The owner's storage is filled the ordinary way, by a client
 * request through its public port to a real origin.
 */
class PeerListenerTest {
  private static final byte[] SECRET = "peer-listener-test-secret-of-32-chars".getBytes(StandardCharsets.UTF_8);
  private static final String HOST = "www.example.com";

  private Vertx vertx;
  private Path dir;
  private EmbeddedStore store;
  private final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T10:00:00Z"));
  private CacheEdgeVerticle owner;
  private CacheEdgeVerticle requester;
  private String ownerDeployment;
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
    owner = edge("edge-owner");
    ownerDeployment = result(vertx.deployVerticle(owner));
    requester = edge("edge-requester");
    result(vertx.deployVerticle(requester));
    // the listener's own behaviour: client requests fill locally whoever owns their key (PeerFillTest
    // covers routing), so an object fetched through the owner's public port is stored there
    owner.runtime().peers().enabled(false);
    requester.runtime().peers().enabled(false);
    // a connection per request: a refused request's connection is never reused for the next one
    // (a POST sent on the connection of the DELETE just refused waited for its answer in CI)
    http = vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions().setKeepAlive(false));
  }

  private CacheEdgeVerticle edge(String node) {
    return new CacheEdgeVerticle(store, new Health(), clock, EdgeHarness.defaults(node), null,
        PeerSettings.loopback(SECRET));
  }

  @AfterEach
  void stop() {
    origin.close();
    result(store.close());
    result(vertx.close());
    TempStores.deleteRecursively(dir);
  }


  private String primaryKey(String path) {
    String sitePrefix = owner.runtime().sites().lookup(HOST).compiled().keyPrefix();
    return KeyFormat.primary(sitePrefix, KeyFormat.GET_CLASS, HOST, path);
  }

  /** A client GET through the owner's public edge port: the ordinary fill stores the answer there. */
  private Buffer getThroughOwner(String path, String... headerPairs) {
    RequestOptions o = new RequestOptions().setHost("127.0.0.1").setPort(owner.port()).setURI(path)
        .putHeader("Host", HOST);
    for (int i = 0; i < headerPairs.length; i += 2) {
      o.putHeader(headerPairs[i], headerPairs[i + 1]);
    }
    return result(OnContext.exchange(vertx, http, o, OnContext.Answer::body));
  }

  private EdgeMember ownerMember() {
    return requester.cluster().view().members().stream().filter(m -> m.node().equals("edge-owner")).findFirst()
        .orElseThrow();
  }

  private PeerResponse fetch(PeerRequest request) {
    return result(requester.cluster().client().fetch(ownerMember(), request));
  }

  private static String bodyOf(PeerResponse.Found found) {
    io.vertx.core.Promise<Buffer> all = io.vertx.core.Promise.promise();
    Buffer acc = Buffer.buffer();
    found.body().handler(acc::appendBuffer).endHandler(v -> all.complete(acc)).exceptionHandler(all::fail);
    found.body().resume();
    return result(all.future()).toString();
  }

  // --- membership ----------------------------------------------------------------------------

  @Test
  void bothEdgesRecordThemselvesAndDeriveTheSameMembersAndOwners() {
    until("both edges see both", () -> owner.cluster().view().nodes().size() == 2
        && requester.cluster().view().nodes().size() == 2);
    assertThat(owner.cluster().view().nodes()).containsExactly("edge-owner", "edge-requester");
    assertThat(requester.cluster().view().nodes()).isEqualTo(owner.cluster().view().nodes());
    for (int i = 0; i < 200; i++) {
      String key = primaryKey("/k/" + i);
      assertThat(requester.cluster().view().owner(key).node()).isEqualTo(owner.cluster().view().owner(key).node());
    }
    EdgeMember o = ownerMember();
    assertThat(o.peerPort()).as("the peer port is its own, never the public edge port")
        .isEqualTo(owner.cluster().port()).isNotEqualTo(owner.port());
    assertThat(o.peerHost()).isEqualTo("127.0.0.1");
  }

  @Test
  void anEdgeThatStopsLeavesTheOthersViewsAtOnceNotWhenItsLeaseRunsOut() {
    until("both edges see both", () -> requester.cluster().view().nodes().size() == 2);
    // the clock stands still: the owner's lease never runs out, only its leaving can remove it
    result(vertx.undeploy(ownerDeployment));
    until("the requester sees the owner gone", () -> requester.cluster().view().nodes().equals(List.of("edge-requester")));
  }

  @Test
  void aKilledEdgeDropsOutWhenItsLeaseRunsOut() {
    until("both edges see both", () -> requester.cluster().view().nodes().size() == 2);
    // a killed edge records itself no more: stand for it by pulling its record's lease back in time
    EdgeMember killed = ownerMember();
    result(vertx.undeploy(ownerDeployment));
    result(store.edgeMembers().record(new EdgeMember(killed.node(), killed.peerAddress(), clock.instant(),
        clock.instant().plus(PeerSettings.DEFAULT_LEASE))));
    until("the owner is back in the table", () -> result(store.edgeMembers().live()).size() == 2);
    clock.advance(PeerSettings.DEFAULT_LEASE.plusMillis(1));
    until("the requester drops it at its next heartbeat",
        () -> requester.cluster().view().nodes().equals(List.of("edge-requester")));
  }

  // --- fetch ---------------------------------------------------------------------------------

  @Test
  void theOwnerAnswersFromItsStorageWithAgeStateTagsAndTheBody() {
    origin.respond(200, "owned body", "Cache-Control", "max-age=60", "Content-Type", "text/plain",
        "Surrogate-Key", "product-1 homepage");
    assertThat(getThroughOwner("/a.txt").toString()).isEqualTo("owned body");
    clock.advance(Duration.ofSeconds(7));
    until("the requester sees the owner", () -> requester.cluster().view().nodes().size() == 2);

    PeerResponse r = fetch(PeerRequest.get(primaryKey("/a.txt"), MultiMap.caseInsensitiveMultiMap()));

    assertThat(r).isInstanceOf(PeerResponse.Found.class);
    PeerResponse.Found found = (PeerResponse.Found) r;
    assertThat(found.owner()).isEqualTo("edge-owner");
    assertThat(found.status()).isEqualTo(200);
    assertThat(found.headers().get("Content-Type")).isEqualTo("text/plain");
    assertThat(found.headers().get("Age")).as("the age across the hop").isEqualTo("7");
    assertThat(found.ageMillis()).isEqualTo(7000);
    assertThat(found.ttlMillis()).isEqualTo(53_000);
    assertThat(found.state()).isEqualTo(PeerResponse.State.FRESH);
    assertThat(found.storedAt()).isEqualTo(clock.instant().minusSeconds(7));
    assertThat(found.tags()).containsExactly("product-1", "homepage");
    assertThat(found.headers().names()).noneMatch(n -> n.toLowerCase().startsWith("kasoku-peer-"));
    assertThat(bodyOf(found)).isEqualTo("owned body");
    assertThat(origin.count()).as("the peer answer came from storage").isEqualTo(1);

    clock.advance(Duration.ofSeconds(60));
    PeerResponse.Found stale = (PeerResponse.Found) fetch(new PeerRequest("HEAD", primaryKey("/a.txt"), null));
    assertThat(stale.state()).as("a HEAD gets the stored copy as it is").isEqualTo(PeerResponse.State.STALE);
    assertThat(stale.ttlMillis()).isEqualTo(-7000); // a HEAD's answer has no body to read (it may have ended already)
    PeerResponse.Found revalidated = (PeerResponse.Found) fetch(PeerRequest.get(primaryKey("/a.txt"), null));
    assertThat(revalidated.state()).as("a GET of a stale copy: the owner revalidates it for the peer")
        .isEqualTo(PeerResponse.State.FRESH);
    assertThat(bodyOf(revalidated)).isEqualTo("owned body");
    assertThat(origin.count()).isEqualTo(2);
  }

  @Test
  void anObjectTheOwnerLacksIsFilledByTheOwnerForAGetAndNotHereForAHead() {
    origin.respond(200, "filled for a peer", "Cache-Control", "max-age=60", "Surrogate-Key", "p-1");
    until("the requester sees the owner", () -> requester.cluster().view().nodes().size() == 2);
    assertThat(fetch(new PeerRequest("HEAD", primaryKey("/never-fetched"), null)))
        .isEqualTo(new PeerResponse.NotHere("edge-owner"));
    assertThat(origin.count()).as("a HEAD is answered from storage only").isZero();

    PeerResponse.Found filled = (PeerResponse.Found) fetch(PeerRequest.get(primaryKey("/never-fetched"), null));
    assertThat(filled.filled()).isTrue();
    assertThat(filled.ttlMillis()).isEqualTo(60_000);
    assertThat(filled.tags()).containsExactly("p-1");
    assertThat(filled.headers().get("Cache-Status"))
        .isEqualTo("Kasoku-edge-owner; fwd=uri-miss; fwd-status=200; ttl=60; stored");
    assertThat(bodyOf(filled)).isEqualTo("filled for a peer");
    assertThat(origin.count()).isEqualTo(1);
    // the requester has the whole body once the last byte left the owner, a moment before the owner stores it
    until("stored at the owner", () -> owner.runtime().storage().get(primaryKey("/never-fetched")) != null);
    PeerResponse.Found hit = (PeerResponse.Found) fetch(PeerRequest.get(primaryKey("/never-fetched"), null));
    assertThat(hit.filled()).as("the second time, answered from the owner's storage").isFalse();
    assertThat(origin.count()).isEqualTo(1);
  }

  @Test
  void theOwnerSelectsTheVariantFromTheForwardedClientHeaders() {
    origin.handle(req -> req.response().putHeader("Cache-Control", "max-age=60").putHeader("Vary", "Accept-Language")
        .end("lang=" + req.getHeader("Accept-Language")));
    assertThat(getThroughOwner("/v", "Accept-Language", "ja").toString()).isEqualTo("lang=ja");
    until("the requester sees the owner", () -> requester.cluster().view().nodes().size() == 2);
    MultiMap ja = MultiMap.caseInsensitiveMultiMap().add("Accept-Language", "ja");
    MultiMap en = MultiMap.caseInsensitiveMultiMap().add("Accept-Language", "en");
    assertThat(bodyOf((PeerResponse.Found) fetch(PeerRequest.get(primaryKey("/v"), ja)))).isEqualTo("lang=ja");
    assertThat(fetch(new PeerRequest("HEAD", primaryKey("/v"), en))).isInstanceOf(PeerResponse.NotHere.class);
    assertThat(bodyOf((PeerResponse.Found) fetch(PeerRequest.get(primaryKey("/v"), en)))).as("filled by the owner")
        .isEqualTo("lang=en");
  }

  @Test
  void aHeadGetsTheHeadWithoutABody() {
    origin.respond(200, "0123456789", "Cache-Control", "max-age=60");
    getThroughOwner("/h");
    until("the requester sees the owner", () -> requester.cluster().view().nodes().size() == 2);
    PeerResponse.Found found = (PeerResponse.Found) fetch(new PeerRequest("HEAD", primaryKey("/h"), null));
    assertThat(found.headers().get("Content-Length")).isEqualTo("10");
    assertThat(bodyOf(found)).isEmpty();
  }

  @Test
  void aLargeBodyStreamsWhole() {
    String big = "x".repeat(3 * 1024 * 1024 / 4) + "end";
    origin.respond(200, big, "Cache-Control", "max-age=60");
    assertThat(getThroughOwner("/big").length()).isEqualTo(big.length());
    until("the requester sees the owner", () -> requester.cluster().view().nodes().size() == 2);
    assertThat(bodyOf((PeerResponse.Found) fetch(PeerRequest.get(primaryKey("/big"), null)))).isEqualTo(big);
  }

  @Test
  void anOwnerThatDoesNotAnswerFailsTheFetchWithinTheConnectBudget() throws Exception {
    int closed;
    try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closed = probe.getLocalPort();
    }
    EdgeMember gone = new EdgeMember("edge-gone", "127.0.0.1:" + closed, clock.instant(), clock.instant().plusSeconds(5));
    long start = System.nanoTime();
    Throwable t = failure(requester.cluster().client().fetch(gone, PeerRequest.get(primaryKey("/x"), null)));
    assertThat(t).isInstanceOf(PeerException.class);
    assertThat(((PeerException) t).kind()).isEqualTo(PeerException.Kind.UNREACHABLE);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
  }

  /**
   * An owner too busy to complete a connection (its accept queue full: the kernel drops the SYN)
   * misses the connect budget: that is an unreachable owner, not one that failed to answer in time,
   * so the two show apart in kasoku_edge_peer_requests_total.
   */
  @Test
  void anOwnerThatCannotBeConnectedWithinTheBudgetIsUnreachableNotATimeout() throws Exception {
    try (java.net.ServerSocket full = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      List<java.net.Socket> queued = new java.util.ArrayList<>();
      try {
        for (int i = 0; i < 4; i++) { // fills the accept queue nobody takes from
          java.net.Socket s = new java.net.Socket();
          try {
            s.connect(full.getLocalSocketAddress(), 200);
          } catch (java.io.IOException stillConnecting) {
            // the queue is full already
          }
          queued.add(s);
        }
        EdgeMember busy = new EdgeMember("edge-busy", "127.0.0.1:" + full.getLocalPort(), clock.instant(),
            clock.instant().plusSeconds(5));
        long start = System.nanoTime();
        Throwable t = failure(requester.cluster().client().fetch(busy, PeerRequest.get(primaryKey("/x"), null)));
        assertThat(t).isInstanceOf(PeerException.class);
        assertThat(((PeerException) t).kind()).as(t.getMessage()).isEqualTo(PeerException.Kind.UNREACHABLE);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
      } finally {
        for (java.net.Socket s : queued) {
          s.close();
        }
      }
    }
  }

  @Test
  void anOwnerThatAcceptsButNeverAnswersFailsTheFetchAsATimeout() throws Exception {
    // a listening socket nobody accepts from: the kernel completes the connection, nothing answers
    try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      EdgeMember mute = new EdgeMember("edge-mute", "127.0.0.1:" + silent.getLocalPort(), clock.instant(),
          clock.instant().plusSeconds(5));
      HttpPeerClient client = new HttpPeerClient(vertx, new PeerAuth(SECRET, clock, PeerSettings.DEFAULT_MAX_SKEW),
          "edge-requester", PeerSettings.DEFAULT_CONNECT_TIMEOUT, Duration.ofMillis(300));
      try {
        Throwable t = failure(client.fetch(mute, PeerRequest.get(primaryKey("/x"), null)));
        assertThat(t).isInstanceOf(PeerException.class);
        assertThat(((PeerException) t).kind()).isEqualTo(PeerException.Kind.TIMEOUT);
        assertThat(((PeerException) t).owner()).isEqualTo("edge-mute");
      } finally {
        result(client.close());
      }
    }
  }

  @Test
  void aKeyWithReservedCharactersSurvivesTheHopAndItsSignature() {
    origin.respond(200, "odd", "Cache-Control", "max-age=60");
    String path = "/a%2Fb+c;d=%25/%E3%81%82?q=1&r=a+b&s=%26";
    assertThat(getThroughOwner(path).toString()).isEqualTo("odd");
    until("the requester sees the owner", () -> requester.cluster().view().nodes().size() == 2);
    String key = primaryKey(path);
    assertThat(owner.runtime().storage().varyOf(key)).isNull();
    PeerResponse r = fetch(PeerRequest.get(key, null));
    assertThat(r).isInstanceOf(PeerResponse.Found.class);
    assertThat(bodyOf((PeerResponse.Found) r)).isEqualTo("odd");
  }

  @Test
  void aTakenPeerPortFailsTheStartNamingItsKey() throws Exception {
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      PeerSettings s = new PeerSettings("127.0.0.1", taken.getLocalPort(), PeerSettings.DEFAULT_HEARTBEAT,
          PeerSettings.DEFAULT_LEASE, PeerSettings.DEFAULT_CONNECT_TIMEOUT, PeerSettings.DEFAULT_IDLE_TIMEOUT,
          PeerSettings.DEFAULT_MAX_SKEW, () -> SECRET);
      Throwable t = failure(vertx.deployVerticle(new EdgeCluster(s, "edge-x", owner.runtime().storage(),
          store.edgeMembers(), clock)));
      assertThat(t).hasMessageContaining("KASOKU_PEER_PORT").hasMessageContaining(":" + taken.getLocalPort());
      assertThat(result(store.edgeMembers().live())).extracting(EdgeMember::node).doesNotContain("edge-x");
    }
  }

  // --- authentication, with a plain HTTP client ----------------------------------------------

  private HttpClientResponse raw(HttpMethod method, String key, MultiMap headers) {
    RequestOptions o = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(owner.cluster().port())
        .setURI(PeerProtocol.OBJECT_PATH + "?key=" + URLEncoder.encode(key, StandardCharsets.UTF_8));
    headers.forEach(o::addHeader);
    return result(OnContext.exchange(vertx, http, o, OnContext.Answer::response));
  }

  private MultiMap signedBy(PeerAuth signer, String method, String key) {
    MultiMap h = MultiMap.caseInsensitiveMultiMap();
    signer.sign(h, method, key, "edge-requester");
    return h;
  }

  @Test
  void aCorrectlySignedRequestIsAnsweredAndItsReplayRefused() {
    String key = primaryKey("/nothing");
    MultiMap good = signedBy(new PeerAuth(SECRET, clock, PeerSettings.DEFAULT_MAX_SKEW), "HEAD", key);
    HttpClientResponse r = raw(HttpMethod.HEAD, key, good);
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(r.getHeader(PeerProtocol.RESULT)).isEqualTo(PeerProtocol.MISS);
    HttpClientResponse replay = raw(HttpMethod.HEAD, key, good);
    assertThat(replay.statusCode()).isEqualTo(403);
    assertThat(replay.getHeader(PeerProtocol.RESULT)).isNull();
  }

  @Test
  void aRequestWithoutCredentialsIsRefusedWith401() {
    origin.respond(200, "secret content", "Cache-Control", "max-age=60");
    getThroughOwner("/private");
    HttpClientResponse r = raw(HttpMethod.GET, primaryKey("/private"), MultiMap.caseInsensitiveMultiMap());
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.getHeader("Content-Type")).isEqualTo("application/problem+json");
    assertThat(r.getHeader(PeerProtocol.RESULT)).isNull();
  }

  @Test
  void aRequestSignedUnderAnotherSecretIsRefusedWith403() {
    String key = primaryKey("/private");
    PeerAuth stranger = new PeerAuth("not-the-cluster-secret-not-the-cluster".getBytes(StandardCharsets.UTF_8), clock,
        PeerSettings.DEFAULT_MAX_SKEW);
    assertThat(raw(HttpMethod.GET, key, signedBy(stranger, "GET", key)).statusCode()).isEqualTo(403);
  }

  @Test
  void aRequestSignedTooLongAgoIsRefusedWith403() {
    String key = primaryKey("/private");
    MutableClock past = new MutableClock(clock.instant().minus(PeerSettings.DEFAULT_MAX_SKEW).minusMillis(1));
    assertThat(raw(HttpMethod.GET, key, signedBy(new PeerAuth(SECRET, past, PeerSettings.DEFAULT_MAX_SKEW), "GET", key))
        .statusCode()).isEqualTo(403);
  }

  @Test
  void aSignatureForOneKeyDoesNotOpenAnother() {
    MultiMap forA = signedBy(new PeerAuth(SECRET, clock, PeerSettings.DEFAULT_MAX_SKEW), "GET", primaryKey("/a"));
    assertThat(raw(HttpMethod.GET, primaryKey("/b"), forA).statusCode()).isEqualTo(403);
  }

  @Test
  void otherMethodsAndPathsAreRefusedOnceAuthenticated() {
    PeerAuth signer = new PeerAuth(SECRET, clock, PeerSettings.DEFAULT_MAX_SKEW);
    String key = primaryKey("/a");
    assertThat(raw(HttpMethod.DELETE, key, signedBy(signer, "DELETE", key)).statusCode()).isEqualTo(405);
    assertThat(raw(HttpMethod.POST, key, MultiMap.caseInsensitiveMultiMap()).statusCode())
        .as("unauthenticated: 401 whatever the method").isEqualTo(401);
  }
}
