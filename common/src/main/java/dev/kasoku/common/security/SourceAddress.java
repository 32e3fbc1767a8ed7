package dev.kasoku.common.security;

import dev.kasoku.common.net.Cidr;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The address a request comes from, for IP allow-lists, login throttling and the audit trail.
 *
 * <p>It is the socket peer, unless the peer is a trusted proxy ({@code KASOKU_TRUSTED_PROXIES}):
 * then {@code X-Forwarded-For} is read from the right, skipping trusted proxies, and the first
 * address that is not a trusted proxy is the client. Reading from the right matters: everything
 * left of the last untrusted hop was written by the client and can be forged. A header from an
 * untrusted peer is ignored entirely.
 */
public final class SourceAddress {
  public static final String FORWARDED_FOR = "X-Forwarded-For";

  private SourceAddress() {}

  /** The client's address as text (an IP literal, or whatever an untrusted hop wrote). */
  public static String of(HttpServerRequest request, List<Cidr> trustedProxies) {
    SocketAddress remote = request.remoteAddress();
    String peer = remote == null ? "" : remote.hostAddress();
    if (peer == null) {
      peer = "";
    }
    if (trustedProxies.isEmpty() || !trusted(peer, trustedProxies)) {
      return peer;
    }
    List<String> hops = new ArrayList<>();
    for (String header : request.headers().getAll(FORWARDED_FOR)) {
      for (String hop : header.split(",")) {
        String h = hop.trim();
        if (!h.isEmpty()) {
          hops.add(h);
        }
      }
    }
    for (int i = hops.size() - 1; i >= 0; i--) {
      if (!trusted(hops.get(i), trustedProxies)) {
        return hops.get(i);
      }
    }
    // every hop is a trusted proxy: the left-most one is the closest thing to a client we know
    return hops.isEmpty() ? peer : hops.get(0);
  }

  /** Whether the socket peer is one of the trusted proxies (so its forwarding headers are believed). */
  public static boolean fromTrustedProxy(HttpServerRequest request, List<Cidr> trustedProxies) {
    SocketAddress remote = request.remoteAddress();
    String peer = remote == null ? null : remote.hostAddress();
    return peer != null && !trustedProxies.isEmpty() && trusted(peer, trustedProxies);
  }

  private static boolean trusted(String address, List<Cidr> proxies) {
    for (Cidr c : proxies) {
      if (c.contains(address)) {
        return true;
      }
    }
    return false;
  }
}
