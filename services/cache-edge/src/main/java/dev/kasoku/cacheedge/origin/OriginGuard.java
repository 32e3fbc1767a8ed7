package dev.kasoku.cacheedge.origin;

import dev.kasoku.common.net.Cidr;
import java.net.InetAddress;
import java.util.List;

/**
 * The server-side request forgery guard: decides whether the edge may open a connection to an
 * address. Customers choose their origin URLs, so without this an origin named {@code 127.0.0.1},
 * {@code 169.254.169.254} or a DNS name that resolves (or later re-resolves) to one would let any
 * tenant make the edge talk to its own host, the cluster network or the cloud metadata service.
 *
 * <p>The check is applied to the address actually connected to, after resolution (see
 * {@link OriginClients}): a name that resolves to a public address for the config check and to a
 * private one at request time (DNS rebinding) is still refused. Blocked: unspecified, loopback,
 * private (RFC 1918), CGNAT (RFC 6598), link-local (which holds 169.254.169.254), unique-local IPv6
 * (which holds fd00:ec2::254), multicast, broadcast/reserved, and IPv6 forms that embed an IPv4
 * address (IPv4-mapped is folded by {@link Cidr}; NAT64 and 6to4 are blocked outright). An operator
 * re-opens a network with KASOKU_ALLOWED_ORIGIN_NETWORKS.
 */
public final class OriginGuard {
  private static final List<Cidr> FORBIDDEN = List.of(
      Cidr.parse("0.0.0.0/8"), Cidr.parse("10.0.0.0/8"), Cidr.parse("100.64.0.0/10"),
      Cidr.parse("127.0.0.0/8"), Cidr.parse("169.254.0.0/16"), Cidr.parse("172.16.0.0/12"),
      Cidr.parse("192.0.0.0/24"), Cidr.parse("192.168.0.0/16"), Cidr.parse("198.18.0.0/15"),
      Cidr.parse("224.0.0.0/4"), Cidr.parse("240.0.0.0/4"),
      Cidr.parse("::/128"), Cidr.parse("::1/128"), Cidr.parse("::/96"), Cidr.parse("64:ff9b::/96"),
      Cidr.parse("64:ff9b:1::/48"), Cidr.parse("2002::/16"), Cidr.parse("fc00::/7"),
      Cidr.parse("fe80::/10"), Cidr.parse("fec0::/10"), Cidr.parse("ff00::/8"));

  private final List<Cidr> allowed;

  public OriginGuard(List<Cidr> allowedNetworks) {
    this.allowed = List.copyOf(allowedNetworks);
  }

  /** True when the edge may connect to the address. */
  public boolean permits(InetAddress address) {
    for (Cidr c : allowed) {
      if (c.contains(address)) {
        return true;
      }
    }
    if (address.isAnyLocalAddress() || address.isLoopbackAddress() || address.isLinkLocalAddress()
        || address.isSiteLocalAddress() || address.isMulticastAddress()) {
      return false;
    }
    for (Cidr c : FORBIDDEN) {
      if (c.contains(address)) {
        return false;
      }
    }
    return true;
  }
}
