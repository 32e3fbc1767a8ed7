package dev.kasoku.logging.sink;

import dev.kasoku.common.net.Cidr;
import dev.kasoku.common.net.OriginAddressPolicy;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.InetAddress;

/**
 * The address a delivery connects to: the sink's host resolved now and judged by the origins' rule
 * ({@link OriginAddressPolicy#permits}), so a name that resolved to a public address when the sink
 * was stored and to a private one later (DNS rebinding) is still refused. The connection then goes to
 * exactly that address, with the sink's name kept for TLS (SNI, certificate check) and the Host
 * header.
 */
final class SinkAddresses {
  private final Vertx vertx;
  private final OriginAddressPolicy policy;

  SinkAddresses(Vertx vertx, OriginAddressPolicy policy) {
    this.vertx = vertx;
    this.policy = policy;
  }

  /** The permitted address to connect to for {@code host}; fails with a misconfigured {@link SinkException}. */
  Future<InetAddress> resolve(String host) {
    InetAddress literal = Cidr.parseLiteral(host);
    Future<InetAddress> address = literal != null
        ? Future.succeededFuture(literal)
        : vertx.executeBlocking(() -> InetAddress.getByName(host), false)
            .recover(e -> Future.failedFuture(SinkException.retry("cannot resolve " + host + ": " + e.getMessage())));
    return address.compose(a -> policy.permits(a)
        ? Future.succeededFuture(a)
        : Future.failedFuture(SinkException.misconfigured(host + " resolves to " + a.getHostAddress()
            + ", a loopback, private, link-local or metadata address (not allowed by KASOKU_ALLOWED_ORIGIN_NETWORKS)")));
  }
}
