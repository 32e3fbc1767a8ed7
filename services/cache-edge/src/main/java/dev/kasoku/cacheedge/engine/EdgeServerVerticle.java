package dev.kasoku.cacheedge.engine;

import dev.kasoku.cacheedge.EdgeSettings;
import dev.kasoku.cacheedge.origin.OriginClients;
import dev.kasoku.cacheedge.telemetry.EdgeTelemetry;
import dev.kasoku.cacheedge.tls.EdgeTlsListener;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.SocketAddress;
import java.lang.System.Logger.Level;
import java.util.concurrent.TimeUnit;

/**
 * One edge HTTP listener instance (one event loop). The entry verticle deploys one per core, all on
 * the same port (Vert.x spreads accepted connections over them), all sharing one
 * {@link EdgeRuntime}. Per instance: the origin connection pools and the telemetry batch, so the hot
 * path touches no lock but the storage's.
 *
 * <p>Protocol limits are enforced by the HTTP codec before a request reaches the state machine:
 * request line longer than {@code maxUriBytes} → 414, header section over {@code maxHeaderBytes} →
 * 431, ambiguous or malformed framing ({@link StrictFraming}) → 400; a failed request is answered by
 * the same {@link EdgeRequest} (its invalid-request handler), so it is logged like any other. The
 * plain listener speaks HTTP/1.x only (no h2c: see {@link StrictFraming} for why); HTTP/2 is offered
 * on the HTTPS listener with {@code SETTINGS_MAX_CONCURRENT_STREAMS} bounded and Vert.x's reset-flood
 * guard armed: a client that sends more RST_STREAM frames than {@code h2RstFloodMax} per window is
 * disconnected (CVE-2023-44487, "rapid reset"); PING and SETTINGS floods are bounded by
 * {@link Http2ControlFrames}.
 *
 * <p>Connections: each accepted one is counted against the process-wide caps
 * ({@link ConnectionLimits}) and refused past them, and gets the HTTP/1.x timeouts of
 * {@link StrictFraming}. Stopping the verticle drains it (see {@link #stop}).
 *
 * <p>HTTPS: when given a {@link EdgeTlsListener.Binding}, each instance also listens on the edge
 * HTTPS port (KASOKU_EDGE_TLS_PORT) with the same {@link #serverOptions} plus TLS, each site's own
 * certificate chosen by SNI and HTTP/2 by ALPN; requests go through the same {@link EdgeRequest}.
 */
public final class EdgeServerVerticle extends VerticleBase {
  private static final System.Logger LOG = System.getLogger(EdgeServerVerticle.class.getName());
  private final EdgeRuntime runtime;
  /** The HTTPS listener's certificates and port; null: plain HTTP only. */
  private final EdgeTlsListener.Binding https;
  private OriginClients clients;
  private EdgeTelemetry telemetry;
  private HttpServer server;
  private HttpServer tlsServer;
  /** Set when the verticle stops: answers then carry {@code Connection: close}. */
  private volatile boolean draining;
  /** Our Via element per client {@link Protocol} (precomputed: it is on every response). */
  private final String[] vias = new String[Protocol.values().length];

  public EdgeServerVerticle(EdgeRuntime runtime) {
    this(runtime, null);
  }

  /** With the HTTPS listener ({@link EdgeTlsListener}) when {@code https} is not null. */
  public EdgeServerVerticle(EdgeRuntime runtime, EdgeTlsListener.Binding https) {
    this.runtime = runtime;
    this.https = https;
    String node = runtime.settings().nodeId();
    for (Protocol p : Protocol.values()) {
      vias[p.ordinal()] = dev.kasoku.cacheedge.policy.Headers.viaValue(p.version, node);
    }
  }

  /** Our Via element for a client protocol. */
  String via(Protocol protocol) {
    return vias[protocol.ordinal()];
  }

  /** The listener options shared by the HTTP (and, later, HTTPS) listener. */
  public static HttpServerOptions serverOptions(EdgeSettings s) {
    return new HttpServerOptions()
        .setHost(s.bindAddress())
        .setPort(s.port())
        .setMaxInitialLineLength(s.maxUriBytes())
        .setMaxHeaderSize(s.maxHeaderBytes())
        .setHandle100ContinueAutomatically(true)
        .setCompressionSupported(false)
        .setDecompressionSupported(false)
        // the edge does not terminate WebSockets: without these Vert.x puts a WebSocket extension
        // handler in every connection's pipeline that inspects each request and response
        .setPerMessageWebSocketCompressionSupported(false)
        .setPerFrameWebSocketCompressionSupported(false)
        .setTcpNoDelay(true)
        .setIdleTimeout(120)
        .setIdleTimeoutUnit(TimeUnit.SECONDS)
        .setHttp2ClearTextEnabled(false)
        .setInitialSettings(new Http2Settings().setMaxConcurrentStreams(s.h2MaxConcurrentStreams())
            .setMaxHeaderListSize(s.maxHeaderBytes()))
        .setHttp2RstFloodMaxRstFramePerWindow(s.h2RstFloodMax())
        .setHttp2RstFloodWindowDuration(s.h2RstFloodWindowSeconds())
        .setHttp2RstFloodWindowDurationTimeUnit(TimeUnit.SECONDS);
  }

  @Override
  public Future<?> start() {
    EdgeSettings s = runtime.settings();
    clients = new OriginClients(vertx, runtime.guard(), runtime.ticker(), s.connectTimeoutMs(), s.readTimeoutMs());
    telemetry = new EdgeTelemetry(vertx, s.nodeId(), runtime.clock(), runtime.ticker(), runtime.logs());
    telemetry.start();
    HttpServerOptions options = serverOptions(s);
    server = vertx.createHttpServer(options)
        .connectionHandler(c -> onConnection(c, options))
        .invalidRequestHandler(this::handle)
        .requestHandler(this::handle);
    if (https == null) {
      return server.listen();
    }
    HttpServerOptions tlsOptions = EdgeTlsListener.options(options, https.port(), https.certificates());
    tlsServer = vertx.createHttpServer(tlsOptions)
        .connectionHandler(c -> onConnection(c, tlsOptions))
        .invalidRequestHandler(this::handle)
        .requestHandler(EdgeTlsListener.handler(https.certificates(), this::handle));
    return Future.all(server.listen(), tlsServer.listen());
  }

  /**
   * One client request, through the state machine. While the verticle drains for shutdown, every
   * HTTP/1.x answer tells the client not to reuse the connection (HTTP/2 clients got a GOAWAY instead).
   */
  private void handle(HttpServerRequest req) {
    if (req.version() != HttpVersion.HTTP_2) {
      HttpServerResponse resp = req.response();
      resp.headersEndHandler(v -> {
        if (draining) {
          resp.headers().set(HttpHeaders.CONNECTION, "close");
        }
      });
    }
    new EdgeRequest(this, req).run();
  }

  /**
   * A new client connection: counted against the caps ({@link ConnectionLimits}) and refused past
   * them; otherwise its protocol guards are installed ({@link StrictFraming} on HTTP/1.x,
   * {@link Http2ControlFrames} on HTTP/2).
   */
  private void onConnection(HttpConnection c, HttpServerOptions options) {
    EdgeSettings.Connections limits = runtime.settings().connections();
    SocketAddress peer = c.remoteAddress();
    String client = peer == null || peer.hostAddress() == null ? "" : peer.hostAddress();
    boolean exempt = runtime.trustedProxy(client);
    ConnectionLimits.Verdict verdict = runtime.connectionLimits().admit(client, exempt);
    StrictFraming.Decoder http1 = StrictFraming.install(c, options, limits);
    if (verdict != ConnectionLimits.Verdict.ADMIT) {
      LOG.log(Level.DEBUG, "connection from {0} refused: {1}", client, verdict);
      if (http1 != null) {
        http1.refuse(verdict == ConnectionLimits.Verdict.CLIENT_FULL ? 429 : 503,
            verdict == ConnectionLimits.Verdict.CLIENT_FULL ? "too many connections from this address"
                : "edge at its connection limit");
      } else {
        c.close();
      }
      return;
    }
    c.closeHandler(v -> runtime.connectionLimits().release(client, exempt));
    if (http1 == null) {
      Http2ControlFrames.install(c, limits, runtime.clock());
    }
  }

  /**
   * Drains, then stops: the listeners stop accepting, idle connections are closed, HTTP/1.x
   * responses still to be written carry {@code Connection: close} (HTTP/2 clients get GOAWAY), and
   * requests in flight may finish for {@code drainMs}; only then are the origin connections closed
   * and the last telemetry handed over, each with a bounded wait for its acknowledgement (the
   * counter deltas and the access-log records: {@link EdgeTelemetry#stop}).
   */
  @Override
  public Future<?> stop() {
    draining = true;
    long drain = runtime.settings().connections().drainMs();
    return Future.join(server.shutdown(drain, TimeUnit.MILLISECONDS),
            tlsServer == null ? Future.succeededFuture() : tlsServer.shutdown(drain, TimeUnit.MILLISECONDS))
        .eventually(() -> clients.close())
        .eventually(() -> telemetry.stop());
  }

  /**
   * The owner's half of peer fill, run on this instance's event loop with its origin connections:
   * the peer listener is bound on this instance's context.
   */
  public dev.kasoku.cacheedge.cluster.PeerFiller peerFiller() {
    return new OwnerFill(this);
  }

  /** The HTTPS port actually bound, or -1 without an HTTPS listener. */
  public int actualTlsPort() {
    return tlsServer == null ? -1 : tlsServer.actualPort();
  }

  /** The port actually bound (tests bind port 0). */
  public int actualPort() {
    return server.actualPort();
  }

  io.vertx.core.Vertx vertx() {
    return vertx;
  }

  io.vertx.core.Context ctx() {
    return context;
  }

  EdgeRuntime runtime() {
    return runtime;
  }

  OriginClients clients() {
    return clients;
  }

  EdgeTelemetry telemetry() {
    return telemetry;
  }
}
