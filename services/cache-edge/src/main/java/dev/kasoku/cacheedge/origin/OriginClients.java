package dev.kasoku.cacheedge.origin;

import dev.kasoku.cacheedge.origin.OriginException.Kind;
import dev.kasoku.common.net.Cidr;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.net.SocketAddress;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * The connections of one edge verticle to origins: one pooled keep-alive {@link HttpClientAgent} per
 * tenant, so a connection opened for one tenant's origin is never reused for another tenant's request
 * even when both name the same server (one tenant cannot see another's traffic on a shared
 * connection, nor exhaust its pool).
 *
 * <p>Every request goes through {@link #open}: the origin host is resolved by us (Vert.x's async
 * resolver, never a blocking call on the event loop), the resulting address is checked by the
 * {@link OriginGuard}, and the client connects to exactly that address while the Host header and TLS
 * SNI carry the origin's name and the certificate is verified against it with the JVM trust store. A
 * name that re-resolves to a forbidden address between the config check and the request therefore
 * cannot slip through (DNS rebinding). An origin whose host is a literal address is parsed and judged
 * once (per origin, per verticle): neither the address nor the guard's verdict on it can change.
 *
 * <p>Used from its verticle's event loop only (not thread-safe by design).
 */
public final class OriginClients {
  /** Idle pooled connections are closed after this (seconds). */
  public static final int KEEP_ALIVE_SECONDS = 60;
  /** Connections per origin endpoint per tenant per verticle. */
  public static final int POOL_SIZE = 128;

  private final Vertx vertx;
  private final OriginGuard guard;
  private final long connectTimeoutMs;
  private final long readTimeoutMs;
  private final Map<String, HttpClientAgent> clients = new HashMap<>();
  private final Map<String, Literal> literals = new HashMap<>();

  public OriginClients(Vertx vertx, OriginGuard guard, long connectTimeoutMs, long readTimeoutMs) {
    this.vertx = vertx;
    this.guard = guard;
    this.connectTimeoutMs = connectTimeoutMs;
    this.readTimeoutMs = readTimeoutMs;
  }

  /**
   * Opens a request to the origin (connection from the tenant's pool). The request is not sent: the
   * caller writes the body (if any) and ends it.
   *
   * @param uri the canonical path and query (the origin's base path is put in front)
   * @param headers the request's fields, or null when the caller fills {@link HttpClientRequest#headers()}
   *     itself once the request is open (which saves copying them)
   */
  public Future<HttpClientRequest> open(String tenant, Origin origin, HttpMethod method, String uri,
                                        MultiMap headers) {
    Literal literal = literal(origin);
    if (literal != null) {
      if (!literal.permitted()) {
        return Future.failedFuture(forbidden(origin, literal.address()));
      }
      return request(tenant, origin, literal.server(), method, uri, headers);
    }
    return resolve(origin.host()).compose(address -> guard.permits(address)
        ? request(tenant, origin, SocketAddress.inetSocketAddress(origin.port(), address.getHostAddress()), method,
            uri, headers)
        : Future.failedFuture(forbidden(origin, address)));
  }

  private static OriginException forbidden(Origin origin, InetAddress address) {
    return new OriginException(Kind.FORBIDDEN_ADDRESS,
        "origin " + origin.host() + " resolves to a forbidden address " + address.getHostAddress());
  }

  private Future<HttpClientRequest> request(String tenant, Origin origin, SocketAddress server, HttpMethod method,
                                            String uri, MultiMap headers) {
    RequestOptions options = new RequestOptions()
        .setServer(server)
        .setHost(origin.host())
        .setPort(origin.port())
        .setSsl(origin.ssl())
        .setMethod(method)
        .setURI(origin.basePath().isEmpty() ? uri : origin.basePath() + uri)
        .setFollowRedirects(false)
        .setConnectTimeout(connectTimeoutMs)
        .setIdleTimeout(readTimeoutMs);
    if (headers != null) {
      options.setHeaders(headers);
    }
    return client(tenant).request(options).recover(t -> Future.failedFuture(OriginException.of(t)));
  }

  /**
   * The origin's address when its host is a literal address: parsed, and judged by the guard, once
   * per origin (neither can change; a name is resolved and judged on every request instead, see
   * {@link #open}). Null for a name.
   */
  private Literal literal(Origin origin) {
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
          l = new Literal(a, SocketAddress.inetSocketAddress(origin.port(), a.getHostAddress()), guard.permits(a));
        }
      }
      literals.put(origin.id(), l);
    }
    return l == NAME ? null : l;
  }

  private record Literal(InetAddress address, SocketAddress server, boolean permitted) {}

  private static final Literal NAME = new Literal(null, null, false);
  private static final int MAX_LITERALS = 4096;

  private static boolean looksLiteral(String host) {
    char first = host.isEmpty() ? 'x' : host.charAt(0);
    return (first >= '0' && first <= '9') || host.indexOf(':') >= 0;
  }

  private Future<InetAddress> resolve(String host) {
    if (host.indexOf(':') >= 0) {
      // an IPv6 literal that literal() could not parse: not a name either
      return Future.failedFuture(new OriginException(Kind.UNRESOLVED, "bad origin address " + host));
    }
    return ((VertxInternal) vertx).nameResolver().resolve(host)
        .recover(t -> Future.failedFuture(new OriginException(Kind.UNRESOLVED, "cannot resolve " + host)));
  }

  private HttpClientAgent client(String tenant) {
    HttpClientAgent c = clients.get(tenant);
    if (c == null) {
      HttpClientOptions options = new HttpClientOptions()
          .setKeepAlive(true)
          .setKeepAliveTimeout(KEEP_ALIVE_SECONDS)
          .setTcpNoDelay(true)
          .setVerifyHost(true)
          .setTrustAll(false)
          .setForceSni(true)
          .setDecompressionSupported(false)
          .setMaxHeaderSize(32 * 1024)
          .setName("origin-" + tenant);
      c = vertx.createHttpClient(options, new PoolOptions().setHttp1MaxSize(POOL_SIZE).setMaxWaitQueueSize(4096));
      clients.put(tenant, c);
    }
    return c;
  }

  /** Drops a tenant's pool (tenant deleted). */
  public Future<Void> closeTenant(String tenant) {
    HttpClientAgent c = clients.remove(tenant);
    return c == null ? Future.succeededFuture() : c.close();
  }

  public Future<Void> close() {
    java.util.List<Future<Void>> all = clients.values().stream().map(HttpClientAgent::close).toList();
    clients.clear();
    return Future.all(all).mapEmpty();
  }
}
