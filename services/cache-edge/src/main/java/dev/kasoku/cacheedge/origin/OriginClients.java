package dev.kasoku.cacheedge.origin;

import dev.kasoku.cacheedge.origin.OriginException.Kind;
import dev.kasoku.common.net.Cidr;
import dev.kasoku.common.time.Ticker;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.resolver.NoopAddressResolverGroup;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.impl.headers.HeadersMultiMap;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.PromiseInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.streams.ReadStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

/**
 * The connections of one edge verticle to origins: keep-alive HTTP/1.1 connections on the
 * verticle's own event loop, pooled per tenant and origin address ({@link OriginPool}), so a
 * connection opened for one tenant's origin is never reused for another tenant's request even when
 * both name the same server (one tenant cannot see another's traffic on a shared connection, nor
 * exhaust its pool).
 *
 * <p>This is a Netty client of our own rather than Vert.x's {@code HttpClient}: on the pass-through
 * path a proxy spends most of its user CPU in its client, and Vert.x's generic pool, per-request
 * timers and stream layers cost about as much again as the HTTP codec itself (docs/performance.md).
 * Here a request is one pool lookup and one write; the codec is Netty's, the header maps Vert.x's
 * (so the engine reads the origin's fields without a copy).
 *
 * <p>Every request goes through {@link #send}: the origin host is resolved by us (Vert.x's async
 * resolver, never a blocking call on the event loop), the resulting address is checked by the
 * {@link OriginGuard}, and the connection goes to exactly that address while the Host header and
 * TLS SNI carry the origin's name and the certificate is verified against it with the JVM trust
 * store. A name that re-resolves to a forbidden address between the config check and the request
 * therefore cannot slip through (DNS rebinding). An origin whose host is a literal address is parsed
 * and judged once (per origin, per verticle): neither the address nor the guard's verdict can change.
 *
 * <p>Used from its verticle's event loop only (not thread-safe by design).
 */
public final class OriginClients {
  /** Idle pooled connections are closed after this (seconds). */
  public static final int KEEP_ALIVE_SECONDS = 60;
  /** Connections per origin endpoint per tenant per verticle. */
  public static final int POOL_SIZE = 128;
  /** Requests waiting for a connection per pool, beyond which a request fails at once. */
  public static final int MAX_WAITING = 4096;
  private static final long SWEEP_MS = 5_000;

  private final Vertx vertx;
  private final ContextInternal context;
  private final OriginGuard guard;
  private final Ticker ticker;
  private final long connectTimeoutMs;
  private final long readTimeoutMs;
  private final Bootstrap bootstrap;
  private final Map<PoolKey, OriginPool> pools = new HashMap<>();
  private final Map<String, Literal> literals = new HashMap<>();
  private SslContext ssl;
  private final long sweepTimer;

  private record PoolKey(String tenant, InetAddress address, int port, boolean ssl, String host) {}

  /**
   * Must be created on the verticle's context: its connections live on that event loop.
   *
   * @param ticker measures connections' idle time (keep-alive sweep) and silence (read timeout)
   */
  public OriginClients(Vertx vertx, OriginGuard guard, Ticker ticker, long connectTimeoutMs, long readTimeoutMs) {
    this.vertx = vertx;
    this.context = (ContextInternal) vertx.getOrCreateContext();
    this.guard = guard;
    this.ticker = ticker;
    this.connectTimeoutMs = connectTimeoutMs;
    this.readTimeoutMs = readTimeoutMs;
    this.bootstrap = new Bootstrap()
        .group(context.nettyEventLoop())
        .channelFactory(((VertxInternal) vertx).transport().channelFactory(false))
        .resolver(NoopAddressResolverGroup.INSTANCE) // addresses are resolved (and judged) before
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.SO_KEEPALIVE, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeoutMs));
    this.sweepTimer = vertx.setPeriodic(SWEEP_MS, id -> sweep());
  }

  /**
   * A header map for {@link #send} (Host is set by the client from the origin).
   *
   * @param validate check every name and value added (no CR, LF or NUL can reach the origin's
   *     request): needed when the fields come from an HTTP/2 client, whose header block is not
   *     parsed into lines; fields from an HTTP/1.x request were validated by the request decoder
   *     already and a second pass would cost on every forwarded request
   */
  public static MultiMap newHeaders(boolean validate) {
    return validate ? HeadersMultiMap.httpHeaders() : HeadersMultiMap.caseInsensitive();
  }

  /**
   * Sends a request to the origin on a pooled connection of the tenant's.
   *
   * @param uri the canonical path and query (the origin's base path is put in front)
   * @param headers the request's fields, from {@link #newHeaders} (others are copied into a validating one)
   * @param body the client's body, paused (it is resumed once the request is on a connection), or null
   * @return the response head; a failure is an {@link OriginException}, {@link OriginException#unsent}
   *     when the origin never saw the request
   */
  public Future<OriginResponse> send(String tenant, Origin origin, HttpMethod method, String uri, MultiMap headers,
                                     ReadStream<Buffer> body) {
    return send(tenant, origin, method, uri, headers, body, null);
  }

  /**
   * As {@link #send(String, Origin, HttpMethod, String, MultiMap, ReadStream)}, handing the fields of
   * every {@code 103 Early Hints} interim response the origin sends before its final response to
   * {@code earlyHints} (on the verticle's context). Other interim responses are read past: a
   * {@code 100 Continue} answers an expectation the edge handled itself, and no other 1xx has a way
   * to the client.
   */
  public Future<OriginResponse> send(String tenant, Origin origin, HttpMethod method, String uri, MultiMap headers,
                                     ReadStream<Buffer> body, Handler<MultiMap> earlyHints) {
    PromiseInternal<OriginResponse> promise = context.promise();
    HeadersMultiMap h;
    if (headers instanceof HeadersMultiMap m) {
      h = m;
    } else {
      h = HeadersMultiMap.httpHeaders();
      h.addAll(headers);
    }
    OriginRequest r = new OriginRequest(io.netty.handler.codec.http.HttpMethod.valueOf(method.name()),
        origin.basePath().isEmpty() ? uri : origin.basePath() + uri, origin.hostHeader(), h, body, promise);
    r.earlyHints = earlyHints;
    Literal literal = literal(origin);
    if (literal != null) {
      if (!literal.permitted()) {
        promise.fail(forbidden(origin, literal.address()));
      } else {
        pool(tenant, origin, literal.address()).submit(r);
      }
      return promise.future();
    }
    resolve(origin.host()).onComplete(ar -> {
      if (ar.failed()) {
        promise.tryFail(ar.cause());
      } else if (!guard.permits(ar.result())) {
        promise.tryFail(forbidden(origin, ar.result()));
      } else {
        pool(tenant, origin, ar.result()).submit(r);
      }
    });
    return promise.future();
  }

  private static OriginException forbidden(Origin origin, InetAddress address) {
    return new OriginException(Kind.FORBIDDEN_ADDRESS,
        "origin " + origin.host() + " resolves to a forbidden address " + address.getHostAddress(), true);
  }

  private OriginPool pool(String tenant, Origin origin, InetAddress address) {
    PoolKey key = new PoolKey(tenant, address, origin.port(), origin.ssl(), origin.host());
    OriginPool p = pools.get(key);
    if (p == null) {
      p = new OriginPool(this, context, new InetSocketAddress(address, origin.port()),
          origin.ssl() ? sslContext() : null, origin.host(), POOL_SIZE, MAX_WAITING);
      pools.put(key, p);
    }
    return p;
  }

  /**
   * The TLS client context: the JVM's default trust store (read when the first https origin is
   * used), the origin's name checked against its certificate (HTTPS endpoint identification).
   */
  private SslContext sslContext() {
    if (ssl == null) {
      try {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init((KeyStore) null);
        ssl = SslContextBuilder.forClient()
            .sslProvider(SslProvider.JDK)
            .trustManager(tmf)
            .endpointIdentificationAlgorithm("HTTPS")
            .build();
      } catch (GeneralSecurityException | SSLException e) {
        throw new IllegalStateException("cannot build the TLS client context for origins", e);
      }
    }
    return ssl;
  }

  /**
   * The origin's address when its host is a literal address: parsed, and judged by the guard, once
   * per origin (neither can change; a name is resolved and judged on every request instead, see
   * {@link #send}). Null for a name.
   */
  private Literal literal(Origin origin) {
    if (guard.internal(origin.id())) {
      // never cached: the verdict ends with the warm-up
      return new Literal(Cidr.parseLiteral(origin.host()), true);
    }
    Literal l = literals.get(origin.id());
    if (l == null) {
      String host = origin.host();
      if (literals.size() >= MAX_LITERALS) {
        literals.clear(); // origins come and go with site changes: keep this bounded
      }
      l = NAME;
      if (looksLiteral(host)) {
        InetAddress a = Cidr.parseLiteral(host);
        if (a != null) {
          l = new Literal(a, guard.permits(a));
        }
      }
      literals.put(origin.id(), l);
    }
    return l == NAME ? null : l;
  }

  private record Literal(InetAddress address, boolean permitted) {}

  private static final Literal NAME = new Literal(null, false);
  private static final int MAX_LITERALS = 4096;

  private static boolean looksLiteral(String host) {
    char first = host.isEmpty() ? 'x' : host.charAt(0);
    return (first >= '0' && first <= '9') || host.indexOf(':') >= 0;
  }

  private Future<InetAddress> resolve(String host) {
    if (host.indexOf(':') >= 0) {
      // an IPv6 literal that literal() could not parse: not a name either
      return Future.failedFuture(new OriginException(Kind.UNRESOLVED, "bad origin address " + host, true));
    }
    return ((VertxInternal) vertx).nameResolver().resolve(host)
        .recover(t -> Future.failedFuture(new OriginException(Kind.UNRESOLVED, "cannot resolve " + host, true)));
  }

  /** Closes connections idle for the keep-alive time, and forgets pools left with none. */
  private void sweep() {
    long idleBefore = ticker.read() - KEEP_ALIVE_SECONDS * 1_000_000_000L;
    for (Iterator<OriginPool> it = pools.values().iterator(); it.hasNext(); ) {
      OriginPool p = it.next();
      p.sweep(idleBefore);
      if (p.unused()) {
        it.remove();
      }
    }
  }

  Ticker ticker() {
    return ticker;
  }

  Bootstrap bootstrap() {
    return bootstrap;
  }

  long connectTimeoutMs() {
    return connectTimeoutMs;
  }

  long readTimeoutMs() {
    return readTimeoutMs;
  }

  public Future<Void> close() {
    vertx.cancelTimer(sweepTimer);
    pools.values().forEach(OriginPool::closeAll); // closing is asynchronous: the map is not touched
    pools.clear();
    return Future.succeededFuture();
  }
}
