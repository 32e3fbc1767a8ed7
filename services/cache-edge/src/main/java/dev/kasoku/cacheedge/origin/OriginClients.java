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
 * cannot slip through (DNS rebinding).
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
   */
  public Future<HttpClientRequest> open(String tenant, Origin origin, HttpMethod method, String uri,
                                        MultiMap headers) {
    return resolve(origin.host()).compose(address -> {
      if (!guard.permits(address)) {
        return Future.failedFuture(new OriginException(Kind.FORBIDDEN_ADDRESS,
            "origin " + origin.host() + " resolves to a forbidden address " + address.getHostAddress()));
      }
      RequestOptions options = new RequestOptions()
          .setServer(SocketAddress.inetSocketAddress(origin.port(), address.getHostAddress()))
          .setHost(origin.host())
          .setPort(origin.port())
          .setSsl(origin.ssl())
          .setMethod(method)
          .setURI(origin.basePath() + uri)
          .setHeaders(headers)
          .setFollowRedirects(false)
          .setConnectTimeout(connectTimeoutMs)
          .setIdleTimeout(readTimeoutMs);
      return client(tenant).request(options).recover(t -> Future.failedFuture(OriginException.of(t)));
    });
  }

  private Future<InetAddress> resolve(String host) {
    char first = host.isEmpty() ? 'x' : host.charAt(0);
    if ((first >= '0' && first <= '9') || host.indexOf(':') >= 0) {
      // looks like a literal: parse it without any lookup (InetAddress.getByName would fall back to a
      // blocking DNS query for malformed literals such as 999.1.1.1)
      InetAddress literal = Cidr.parseLiteral(host);
      if (literal != null) {
        return Future.succeededFuture(literal);
      }
      if (host.indexOf(':') >= 0) {
        return Future.failedFuture(new OriginException(Kind.UNRESOLVED, "bad origin address " + host));
      }
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
