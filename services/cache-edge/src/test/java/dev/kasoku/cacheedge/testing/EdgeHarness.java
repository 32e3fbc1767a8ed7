package dev.kasoku.cacheedge.testing;

import dev.kasoku.cacheedge.CacheEdgeVerticle;
import dev.kasoku.cacheedge.EdgeSettings;
import dev.kasoku.cacheedge.storage.MemoryStorage;
import dev.kasoku.common.bus.RecordCodec;
import dev.kasoku.common.cluster.ClusterBootstrap;
import dev.kasoku.common.config.ConfigLoader;
import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.http.Health;
import dev.kasoku.common.net.Cidr;
import dev.kasoku.common.store.embedded.EmbeddedStore;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.MutableClock;
import dev.kasoku.common.testing.TempStores;
import dev.kasoku.common.time.Ticker;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A real edge for behaviour tests: a Vert.x instance, an embedded store in a temporary directory,
 * the cache-edge entry verticle on a free port with test settings (loopback origins allowed), a
 * hand-moved clock, and helpers to write sites into the store and send requests.
 */
public final class EdgeHarness implements AutoCloseable {
  public static final String TENANT = "acme";

  public final Vertx vertx;
  public final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
  public final EmbeddedStore store;
  public final CacheEdgeVerticle edge;
  public final HttpClient client;
  private final Path dir;
  private final String deploymentId;
  private final List<TestOrigin> origins = new ArrayList<>();

  /** A response as the test client saw it. */
  public record Resp(int status, MultiMap headers, Buffer body) {
    public String text() {
      return body.toString();
    }

    public String header(String name) {
      return headers.get(name);
    }

    public String cacheStatus() {
      return headers.get("Cache-Status");
    }
  }

  public static EdgeSettings defaults() {
    return defaults("edge-test");
  }

  /** The test defaults for an edge named {@code nodeId}, e.g. one of several edges of a cluster. */
  public static EdgeSettings defaults(String nodeId) {
    return new EdgeSettings(1, "127.0.0.1", 0, 32L << 20, 1L << 20, MemoryStorage.DEFAULT_MAX_VARIANTS,
        2000, 1000, 1500, 10_000, EdgeSettings.DEFAULT_MAX_HEADER_BYTES, EdgeSettings.DEFAULT_MAX_URI_BYTES,
        EdgeSettings.DEFAULT_H2_MAX_STREAMS, EdgeSettings.DEFAULT_H2_RST_FLOOD_MAX,
        EdgeSettings.DEFAULT_H2_RST_FLOOD_WINDOW_S, 200, List.of(Cidr.parse("127.0.0.0/8")), List.of(), nodeId);
  }

  public EdgeHarness() {
    this(s -> s);
  }

  public EdgeHarness(UnaryOperator<EdgeSettings> tweak) {
    this(tweak, false);
  }

  /**
   * With {@code https}, the edge also runs its HTTPS listener ({@link #tlsPort()}) on a free port;
   * sites without a certificate get the edge's default self-signed one.
   */
  public EdgeHarness(UnaryOperator<EdgeSettings> tweak, boolean https) {
    this(tweak, https, Ticker.system());
  }

  /** With {@code ticker} measuring the edge's durations and deadlines (a test's fake one). */
  public EdgeHarness(UnaryOperator<EdgeSettings> tweak, boolean https, Ticker ticker) {
    vertx = Vertx.builder().with(ClusterBootstrap.baseOptions()).build(); // the production transport
    RecordCodec.registerAll(vertx);
    dir = TempStores.newDirectory();
    store = TempStores.embedded(vertx, dir);
    KasokuConfig tls = !https ? null : ConfigLoader.load(Map.of("KASOKU_SECRET_KEY", "edge-harness-secret-key-of-32-characters",
        "KASOKU_DATA_DIR", dir.resolve("tls").toString(), "KASOKU_BIND_ADDRESS", "127.0.0.1", "KASOKU_EDGE_TLS_PORT", "0",
        // behaviour tests want an edge that answers at once (EdgeWarmUpTest covers the warm-up)
        "KASOKU_EDGE_WARMUP", "0"));
    edge = new CacheEdgeVerticle(store, new Health(), clock, ticker, tweak.apply(defaults()), tls);
    deploymentId = Await.result(vertx.deployVerticle(edge));
    client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(200));
  }

  public TestOrigin origin() {
    TestOrigin o = new TestOrigin(vertx);
    origins.add(o);
    return o;
  }

  /** Stores a site for {@code host} with the given origin and extra JSON fields, and waits for the edge to route it. */
  public void site(String site, String host, String originsJson, String extraJson) {
    site(TENANT, site, host, originsJson, extraJson);
  }

  public void site(String tenant, String site, String host, String originsJson, String extraJson) {
    String json = "{\"hostnames\":[\"" + host + "\"],\"origins\":" + originsJson
        + (extraJson == null || extraJson.isBlank() ? "" : "," + extraJson) + "}";
    Await.result(store.sites().put(tenant, site, List.of(host), json, "test", clock.instant()));
    Await.result(edge.runtime().sites().reload());
  }

  /** A site with one origin. */
  public void site(String host, TestOrigin origin, String extraJson) {
    site(host.replace('.', '-'), host, "[{\"url\":\"" + origin.url() + "\"}]", extraJson);
  }

  public Resp get(String host, String path, String... headerPairs) {
    return send(HttpMethod.GET, host, path, null, headerPairs);
  }

  public Future<Resp> sendAsync(HttpMethod method, String host, String path, Buffer body, String... headerPairs) {
    RequestOptions o = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(edge.port())
        .setURI(path);
    MultiMap h = HttpHeaders.headers();
    if (host != null) {
      h.set("Host", host);
    }
    for (int i = 0; i < headerPairs.length; i += 2) {
      h.add(headerPairs[i], headerPairs[i + 1]);
    }
    o.setHeaders(h);
    return client.request(o).compose(req -> (body == null ? req.send() : req.send(body))
        .compose(r -> r.body().map(b -> new Resp(r.statusCode(), r.headers(), b))));
  }

  public Resp send(HttpMethod method, String host, String path, Buffer body, String... headerPairs) {
    return Await.result(sendAsync(method, host, path, body, headerPairs));
  }

  public int port() {
    return edge.port();
  }

  /**
   * Sends raw bytes to the edge (over TLS with HTTP/1.1 negotiated by ALPN when {@code tls}) and
   * returns what came back until the edge closed the connection or {@code quietMs} passed.
   */
  public String raw(String request, boolean tls, long quietMs) {
    NetClientOptions options = !tls ? new NetClientOptions() : new NetClientOptions().setSsl(true).setTrustAll(true)
        .setHostnameVerificationAlgorithm("").setUseAlpn(true).setApplicationLayerProtocols(List.of("http/1.1"));
    NetClient nc = vertx.createNetClient(options);
    NetSocket s = Await.result(tls ? nc.connect(tlsPort(), "127.0.0.1", "localhost") : nc.connect(port(), "127.0.0.1"));
    Buffer got = Buffer.buffer();
    Promise<Void> closed = Promise.promise();
    s.handler(got::appendBuffer);
    s.closeHandler(v -> closed.tryComplete());
    s.write(request);
    vertx.setTimer(quietMs, t -> closed.tryComplete());
    Await.result(closed.future());
    s.close();
    Await.result(nc.close());
    return got.toString();
  }

  /** Undeploys the edge (its graceful stop): completes when the edge has stopped. */
  public Future<Void> stopEdge() {
    return vertx.undeploy(deploymentId);
  }

  /** The HTTPS listener's port (only with {@code https}). */
  public int tlsPort() {
    return edge.tlsPort();
  }

  @Override
  public void close() {
    origins.forEach(TestOrigin::close);
    Await.result(store.close());
    Await.result(vertx.close());
    TempStores.deleteRecursively(dir);
  }
}
