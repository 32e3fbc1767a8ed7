package dev.kasoku.cacheedge.warmup;

import dev.kasoku.cacheedge.engine.EdgeRuntime;
import dev.kasoku.cacheedge.origin.Origin;
import dev.kasoku.cacheedge.policy.CompiledSite;
import dev.kasoku.cacheedge.sites.EdgeSite;
import dev.kasoku.cacheedge.storage.Selection;
import dev.kasoku.common.model.Ids;
import dev.kasoku.common.site.SiteConfig;
import dev.kasoku.common.time.Ticker;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.ConnectOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import java.lang.System.Logger.Level;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The edge's start-up warm-up: before the edge reports ready, it sends itself synthetic requests
 * through its own listeners, so that the JIT has compiled the request path (TLS, HTTP/1.1 and
 * HTTP/2 codecs, lookup, hit delivery, the miss's fill) by the time a load balancer sends the first
 * client. Without it a fresh process served about a third of its warm rate in its first seconds
 * (docs/performance.md, HTTPS).
 *
 * <p>What it runs, for at most the configured bound ({@code KASOKU_EDGE_WARMUP}), ending earlier
 * once the rate stops rising and the JIT has gone quiet (three consecutive half-second windows within
 * {@link #PLATEAU} of each other, the last with little compiling, not before two seconds): keep-alive
 * hits over TLS (most of the load, as on a CDN), both pipelined and one request at a time per
 * connection, the same over plain HTTP, hits over HTTP/2, misses of distinct keys (the origin
 * exchange and the store), requests the site passes, and one new TLS connection, so one full
 * handshake, per request on two lanes.
 *
 * <p>Against what, so that no tenant sees it: an origin of its own (an HTTP server on loopback,
 * port chosen by the system, in this process) behind an internal site of {@link EdgeSite#INTERNAL_TENANT},
 * a tenant id outside the id syntax, routed from one host name drawn at random per start
 * ({@link dev.kasoku.cacheedge.sites.SiteTable#routeInternal}); the SSRF guard lets that one origin
 * through by identity while the warm-up runs ({@link dev.kasoku.cacheedge.origin.OriginGuard#admitInternal}).
 * The edge's telemetry drops every request of that tenant (no access-log line, no counter, no meter),
 * and when the warm-up ends the host name is unrouted, the origin admission revoked, the objects it
 * stored removed and its origin server closed, whatever the outcome. A warm-up that fails only logs:
 * readiness is delayed by at most the bound, never refused.
 */
public final class EdgeWarmUp {
  private static final System.Logger LOG = System.getLogger(EdgeWarmUp.class.getName());
  /** The internal site's id (under {@link EdgeSite#INTERNAL_TENANT}). */
  static final String SITE = "warmup";
  /** Rate windows this close to each other count as a plateau. */
  static final double PLATEAU = 0.10;
  static final long WINDOW_MS = 500;
  /** Windows before a plateau may end the warm-up (the first second is the JIT's busiest). */
  static final int MIN_WINDOWS = 4;
  /** Pipelined connections of hits per protocol (TLS and plain): most requests for the least client work. */
  private static final int PIPELINED_LANES = 2;
  /** Requests in flight on each pipelined connection. */
  private static final int PIPELINE_DEPTH = 32;
  /**
   * Kept-alive connections with one request in flight each, per protocol (TLS, plain), as browsers
   * and load balancers send them: one request per read and one flush per response take other paths
   * through the codecs and the TLS handler than pipelined batches, which the JIT compiles separately.
   */
  private static final int TLS_SINGLE_LANES = 16;
  private static final int PLAIN_SINGLE_LANES = 8;
  /**
   * The JIT counts as quiet in a window when its compiler threads spent at most this share of the
   * window compiling: a flat rate alone can be a compile queue that has not drained yet.
   */
  static final double JIT_QUIET = 0.10;
  private static final int BODY_BYTES = 1024;
  /** Distinct miss keys at most (1 KiB each in storage until the warm-up ends). */
  private static final int MAX_MISS_KEYS = 20_000;

  /**
   * What a warm-up did.
   *
   * @param host the internal host name it used (routed nowhere once it ended)
   * @param millis how long it ran
   * @param requests responses received, all kinds together
   * @param handshakes of which on a new TLS connection each
   * @param misses of which for a key not stored yet
   * @param failures requests that got no response (or an error status)
   * @param plateau whether it ended because the rate stopped rising (else at its bound)
   * @param cut whether a stop signal ended it ({@link #endRunning})
   */
  public record Report(String host, long millis, long requests, long handshakes, long misses, long failures,
                       boolean plateau, boolean cut) {
    /** For the start line. */
    public String describe() {
      return "warm-up " + millis + " ms, " + requests + " requests (" + handshakes + " TLS handshakes, "
          + misses + " misses" + (failures > 0 ? ", " + failures + " failed" : "") + "), "
          + (plateau ? "rate levelled off" : cut ? "cut short by a stop signal" : "ended at its bound");
    }
  }

  private final Vertx vertx;
  private final EdgeRuntime runtime;
  private final Ticker ticker;
  private final int httpPort;
  /** -1: no HTTPS listener, so no TLS lanes. */
  private final int tlsPort;
  private final Duration bound;
  private final String host = "warmup-" + Ids.random(16) + ".kasoku-edge.test";
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong handshakes = new AtomicLong();
  private final AtomicLong misses = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private final AtomicLong missKeys = new AtomicLong();
  private volatile boolean stopping;
  /** Set by {@link #endRunning}: the process is stopping, the warm-up ends at its next window. */
  private volatile boolean cut;
  /** The warm-ups running in this process (one per edge role), for {@link #endRunning}. */
  private static final Set<EdgeWarmUp> RUNNING = ConcurrentHashMap.newKeySet();
  /** The pipelined connections, closed a moment after the end whatever is still in flight on them. */
  private final List<NetSocket> sockets = new java.util.concurrent.CopyOnWriteArrayList<>();

  /**
   * @param httpPort the edge's plain HTTP port on 127.0.0.1 (loopback is where it listens, or the
   *     wildcard address, which holds it)
   * @param tlsPort its HTTPS port, -1 when it has none
   */
  public EdgeWarmUp(Vertx vertx, EdgeRuntime runtime, Ticker ticker, int httpPort, int tlsPort, Duration bound) {
    this.vertx = vertx;
    this.runtime = runtime;
    this.ticker = ticker;
    this.httpPort = httpPort;
    this.tlsPort = tlsPort;
    this.bound = bound;
  }

  /**
   * Ends every warm-up running in this process within one window ({@link #WINDOW_MS}), as if it had
   * reached its bound: a stop signal arrived while an edge was still starting, and the stop waits for
   * the start to complete, so it must not wait for the rest of the warm-up too.
   */
  public static void endRunning() {
    for (EdgeWarmUp w : RUNNING) {
      w.cut = true;
    }
  }

  /** The internal host name of this start (tests check it is unrouted afterwards). */
  public String host() {
    return host;
  }

  /** Runs the warm-up; completes (never fails) once it ended and everything it set up is gone. */
  public Future<Report> run() {
    long t0 = ticker.read();
    RUNNING.add(this);
    List<HttpClientAgent> clients = new ArrayList<>();
    List<NetClient> netClients = new ArrayList<>();
    Promise<Boolean> ended = Promise.promise();
    Future<HttpServer> origin = vertx.createHttpServer(new HttpServerOptions().setHost(loopback()).setPort(0))
        .requestHandler(req -> req.response()
            .putHeader("Cache-Control", req.path().startsWith("/pass/") ? "no-store" : "public, max-age=600")
            .putHeader("Content-Type", "application/octet-stream")
            .end(Buffer.buffer(new byte[BODY_BYTES])))
        .listen();
    Future<Report> report = origin.compose(server -> {
      route(server.actualPort());
      List<Future<?>> lanes = new ArrayList<>();
      if (tlsPort > 0) {
        NetClient tlsNet = vertx.createNetClient(fastTls(new NetClientOptions().setSsl(true).setTrustAll(true)
            .setHostnameVerificationAlgorithm("").setConnectTimeout(2000)));
        netClients.add(tlsNet);
        for (int i = 0; i < PIPELINED_LANES + TLS_SINGLE_LANES; i++) {
          lanes.add(pipelined(tlsNet, tlsPort, "/hot", i < PIPELINED_LANES ? PIPELINE_DEPTH : 1));
        }
        HttpClientAgent tls = client(clients, new HttpClientOptions().setSsl(true).setTrustAll(true)
            .setVerifyHost(false).setForceSni(true).setKeepAlive(true), 2);
        lanes.add(lane(tls, tlsPort, this::missPath, misses));
        lanes.add(lane(tls, tlsPort, () -> "/pass/1k", null));
        HttpClientAgent fresh = client(clients, new HttpClientOptions().setSsl(true).setTrustAll(true)
            .setVerifyHost(false).setForceSni(true).setKeepAlive(false), 2);
        lanes.add(lane(fresh, tlsPort, () -> "/hot", handshakes));
        lanes.add(lane(fresh, tlsPort, () -> "/hot", handshakes));
        HttpClientAgent h2 = vertx.createHttpClient(fastTls(new HttpClientOptions().setSsl(true).setTrustAll(true)
            .setVerifyHost(false).setForceSni(true).setUseAlpn(true).setProtocolVersion(HttpVersion.HTTP_2)),
            new PoolOptions().setHttp2MaxSize(1));
        clients.add(h2);
        lanes.add(lane(h2, tlsPort, () -> "/hot", null));
        lanes.add(lane(h2, tlsPort, () -> "/hot", null));
      }
      NetClient plainNet = vertx.createNetClient(new NetClientOptions().setConnectTimeout(2000));
      netClients.add(plainNet);
      for (int i = 0; i < PIPELINED_LANES + PLAIN_SINGLE_LANES; i++) {
        lanes.add(pipelined(plainNet, httpPort, "/hot", i < PIPELINED_LANES ? PIPELINE_DEPTH : 1));
      }
      HttpClientAgent plain = client(clients, new HttpClientOptions().setKeepAlive(true), 2);
      lanes.add(lane(plain, httpPort, this::missPath, misses));
      lanes.add(lane(plain, httpPort, () -> "/pass/1k", null));
      watch(t0, 0, -1, -1, compileMillis(), ended);
      return ended.future().compose(plateau -> {
        vertx.setTimer(250, id -> sockets.forEach(NetSocket::close));
        return Future.join(lanes).transform(ignored -> Future.succeededFuture(
            new Report(host, TimeUnit.NANOSECONDS.toMillis(ticker.read() - t0), requests.get(), handshakes.get(),
                misses.get(), failures.get(), plateau, cut)));
      });
    });
    return report
        .recover(e -> {
          LOG.log(Level.WARNING, "edge warm-up failed (the first requests will meet cold code): " + e);
          return Future.succeededFuture(new Report(host, TimeUnit.NANOSECONDS.toMillis(ticker.read() - t0),
              requests.get(), handshakes.get(), misses.get(), failures.get() + 1, false, cut));
        })
        .compose(r -> {
          RUNNING.remove(this);
          unroute();
          List<Future<?>> closing = new ArrayList<>();
          clients.forEach(c -> closing.add(c.close()));
          netClients.forEach(c -> closing.add(c.close()));
          if (origin.succeeded()) {
            closing.add(origin.result().close());
          }
          return Future.join(closing).transform(ignored -> Future.succeededFuture(r));
        });
  }

  /** Where the edge's listeners are reached: their bind address, or loopback for a wildcard one. */
  private String target() {
    String bind = runtime.settings().bindAddress();
    return bind.equals("0.0.0.0") || bind.equals("::") ? loopback() : bind;
  }

  /** The loopback address of the family the edge listens on. */
  private String loopback() {
    return runtime.settings().bindAddress().indexOf(':') >= 0 ? "::1" : "127.0.0.1";
  }

  private void route(int originPort) {
    String originUrl = "http://" + (loopback().equals("::1") ? "[::1]" : loopback()) + ":" + originPort;
    SiteConfig config = SiteConfig.parse("{\"hostnames\": [\"" + host + "\"], \"origins\": [{\"url\": \""
        + originUrl + "\"}], \"peerFill\": false}");
    EdgeSite site = new EdgeSite(CompiledSite.internal(SITE, config),
        List.of(Origin.parse(EdgeSite.INTERNAL_TENANT, originUrl, 1)), 1);
    runtime.guard().admitInternal(site.origins().get(0).id());
    runtime.sites().routeInternal(host, site);
  }

  private void unroute() {
    runtime.sites().dropInternal();
    runtime.guard().revokeInternal();
    runtime.storage().invalidate(new Selection.Tenant(EdgeSite.INTERNAL_TENANT), false);
  }

  /**
   * The clients' TLS implementation: OpenSSL where it loads, as for the listener (the JDK's client
   * context takes seconds to initialise on a loaded machine and makes each handshake dearer).
   */
  private static <T extends io.vertx.core.net.TCPSSLOptions> T fastTls(T options) {
    if (options.isSsl() && io.netty.handler.ssl.OpenSsl.isAvailable()) {
      options.setSslEngineOptions(new io.vertx.core.net.OpenSSLEngineOptions());
    }
    return options;
  }

  private HttpClientAgent client(List<HttpClientAgent> clients, HttpClientOptions options, int connections) {
    HttpClientAgent c = vertx.createHttpClient(fastTls(options).setConnectTimeout(2000).setIdleTimeout(10),
        new PoolOptions().setHttp1MaxSize(connections));
    clients.add(c);
    return c;
  }

  private String missPath() {
    return "/miss/" + (missKeys.getAndIncrement() % MAX_MISS_KEYS);
  }

  /**
   * Hits on one connection with {@code depth} HTTP/1.1 requests in flight (more than one: pipelined,
   * as the edge's codec allows), each response answered by the next request, until the warm-up
   * stops; completes once the last response arrived. Nothing is parsed: a response is counted by its
   * status line, which the internal origin's bodies (zero bytes) cannot contain. Drives far more
   * requests than the HTTP client would, whose own cold code would set the pace.
   */
  private Future<Void> pipelined(NetClient client, int port, String path, int depth) {
    Buffer request = Buffer.buffer("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
    Promise<Void> done = Promise.promise();
    client.connect(new ConnectOptions().setRemoteAddress(SocketAddress.inetSocketAddress(port, target()))
            .setSniServerName(host).setSsl(port == tlsPort))
        .onFailure(e -> {
          failures.incrementAndGet();
          done.complete();
        })
        .onSuccess(socket -> {
          sockets.add(socket);
          StatusLines lines = new StatusLines();
          int[] inFlight = {0};
          socket.handler(chunk -> {
            int n = lines.count(chunk);
            requests.addAndGet(n);
            inFlight[0] -= n;
            if (stopping) {
              if (inFlight[0] <= 0) {
                socket.close();
              }
              return;
            }
            for (int i = 0; i < n; i++) {
              socket.write(request);
              inFlight[0]++;
            }
          });
          socket.closeHandler(v -> done.tryComplete());
          socket.exceptionHandler(e -> failures.incrementAndGet());
          for (int i = 0; i < depth; i++) {
            socket.write(request);
            inFlight[0]++;
          }
        });
    return done.future();
  }

  /** Counts HTTP/1.1 status lines in a byte stream, across chunk boundaries. */
  static final class StatusLines {
    private static final byte[] MARK = "HTTP/1.1 ".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private int matched;

    int count(Buffer chunk) {
      int n = 0;
      for (int i = 0, len = chunk.length(); i < len; i++) {
        byte b = chunk.getByte(i);
        if (b == MARK[matched]) {
          if (++matched == MARK.length) {
            n++;
            matched = 0;
          }
        } else {
          matched = b == MARK[0] ? 1 : 0;
        }
      }
      return n;
    }
  }

  /** One request after the other on {@code client} until the warm-up stops; completes then. */
  private Future<Void> lane(HttpClientAgent client, int port, java.util.function.Supplier<String> path, AtomicLong kind) {
    Promise<Void> done = Promise.promise();
    next(client, port, path, kind, done);
    return done.future();
  }

  private void next(HttpClientAgent client, int port, java.util.function.Supplier<String> path, AtomicLong kind,
                    Promise<Void> done) {
    if (stopping) {
      done.complete();
      return;
    }
    client.request(new RequestOptions().setMethod(HttpMethod.GET).setHost(host).setPort(port).setURI(path.get())
            .setServer(SocketAddress.inetSocketAddress(port, target())).setTimeout(5000))
        .compose(req -> req.send().compose(resp -> resp.body().map(b -> resp.statusCode())))
        .onComplete(ar -> {
          requests.incrementAndGet();
          if (ar.failed() || ar.result() != 200) {
            failures.incrementAndGet();
          } else if (kind != null) {
            kind.incrementAndGet();
          }
          if (ar.failed()) {
            // a refused connection or a timeout: do not spin, the next tick decides
            vertx.setTimer(50, id -> next(client, port, path, kind, done));
          } else {
            next(client, port, path, kind, done);
          }
        });
  }

  /**
   * Every {@link #WINDOW_MS}: ends the warm-up at its bound, or once three consecutive windows'
   * counts are within {@link #PLATEAU} of each other and the JIT was quiet in the last one
   * ({@link #JIT_QUIET}), not before {@link #MIN_WINDOWS} windows: on a loaded machine the compiler
   * queue can hold the rate flat for a while before it jumps.
   */
  private void watch(long t0, int windows, long before, long last, long compiledBefore, Promise<Boolean> ended) {
    long startCount = requests.get();
    vertx.setTimer(WINDOW_MS, id -> {
      long count = requests.get() - startCount;
      long compiled = compileMillis();
      // ends at the tick nearest its bound, not the one after
      boolean atBound = ticker.read() - t0 + TimeUnit.MILLISECONDS.toNanos(WINDOW_MS / 2) >= bound.toNanos();
      boolean level = windows + 1 > MIN_WINDOWS && before > 0 && last > 0
          && close(before, last) && close(last, count) && close(before, count)
          && jitQuiet(compiled - compiledBefore);
      if (atBound || level || cut) {
        stopping = true;
        ended.complete(level && !atBound);
      } else {
        watch(t0, windows + 1, last, count, compiled, ended);
      }
    });
  }

  /** Whether the JIT's compiling, {@code compileMs} in one window, leaves it quiet; true when unmeasured. */
  static boolean jitQuiet(long compileMs) {
    return compileMs < 0 || compileMs <= JIT_QUIET * WINDOW_MS;
  }

  /** Milliseconds the JIT's compiler threads have spent compiling so far, or -1 when not measured. */
  private static long compileMillis() {
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : -1;
  }

  private static boolean close(long a, long b) {
    return Math.abs(a - b) <= PLATEAU * Math.max(a, b);
  }
}
