package dev.kasoku.cacheedge.tls;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import java.util.List;
import java.util.Optional;

/**
 * The edge's HTTPS listener ({@code KASOKU_EDGE_TLS_PORT}): the same listener options and request
 * handler as plain HTTP, plus TLS with each site's own certificate chosen by SNI
 * ({@link CertificateBook}), and HTTP/2 or HTTP/1.1 negotiated by ALPN, on OpenSSL where it loads
 * ({@link EdgeTlsEngine}: faster handshakes, session tickets that resume on any edge).
 *
 * <p>One more check than plain HTTP: a request whose SNI selected a site's certificate but whose
 * Host (or :authority) names a different site is answered 421 (Misdirected Request, RFC 9110
 * 15.5.20), so a connection authenticated with one tenant's certificate cannot be used to reach
 * another tenant's site (connection reuse or domain fronting).
 */
public final class EdgeTlsListener {
  private EdgeTlsListener() {}

  /** What an edge server instance needs for its HTTPS listener: the shared certificates and the port. */
  public record Binding(CertificateBook certificates, int port) {}

  /** The HTTPS listener's options: {@code base} (the plain listener's) with TLS on {@code port}. */
  public static HttpServerOptions options(HttpServerOptions base, int port, CertificateBook book) {
    return new HttpServerOptions(base)
        .setPort(port)
        .setSsl(true)
        .setUseAlpn(true)
        .setAlpnVersions(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1))
        .setKeyCertOptions(book.keyCertOptions())
        .setSslEngineOptions(book.engine().sslEngineOptions());
  }

  /** Wraps the edge's request handler with the SNI/Host consistency check. */
  public static Handler<HttpServerRequest> handler(CertificateBook book, Handler<HttpServerRequest> next) {
    return req -> {
      if (misdirected(book.table(), req)) {
        req.response().setStatusCode(421).putHeader("Content-Type", "text/plain; charset=utf-8")
            .putHeader("Connection", "close")
            .end("Misdirected Request: this connection's TLS server name belongs to another site\n");
        return;
      }
      next.handle(req);
    };
  }

  static boolean misdirected(CertificateTable table, HttpServerRequest req) {
    String sni = req.connection() == null ? null : SiteKeyManager.requestedName(req.connection().sslSession());
    Optional<CertificateTable.SiteEntry> bySni = table.lookup(sni);
    if (bySni.isEmpty()) {
      return false;
    }
    String host = req.authority() == null ? null : req.authority().host();
    Optional<CertificateTable.SiteEntry> byHost = table.lookup(host);
    return byHost.isEmpty() || !byHost.get().key().equals(bySni.get().key());
  }
}
