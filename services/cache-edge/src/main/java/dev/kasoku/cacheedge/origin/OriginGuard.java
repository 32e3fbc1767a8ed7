package dev.kasoku.cacheedge.origin;

import dev.kasoku.common.net.Cidr;
import dev.kasoku.common.net.OriginAddressPolicy;
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
 * private one at request time (DNS rebinding) is still refused. The rule itself is
 * {@link OriginAddressPolicy#permits}, the same one the config service applies to literal origin
 * hosts, so the two checks cannot drift apart: loopback, private, CGNAT, link-local (which holds
 * 169.254.169.254), unique-local IPv6 (which holds fd00:ec2::254), multicast and reserved networks
 * are refused, and IPv6 forms that carry an IPv4 address (mapped, NAT64, 6to4, Teredo...) are judged
 * by the IPv4 address they carry. An operator re-opens a network with KASOKU_ALLOWED_ORIGIN_NETWORKS.
 *
 * <p>One exception, by origin identity and never by address: while the edge's start-up warm-up
 * runs, the one origin of its internal site (a loopback server of its own, under a tenant id no
 * tenant can have) is let through ({@link #admitInternal}); no site of a tenant can name that origin.
 */
public final class OriginGuard {
  private final OriginAddressPolicy policy;
  /** The id of the internal origin while the warm-up runs; null otherwise. */
  private volatile String internalOrigin;

  public OriginGuard(List<Cidr> allowedNetworks) {
    this.policy = new OriginAddressPolicy(allowedNetworks);
  }

  /** True when the edge may connect to the address. */
  public boolean permits(InetAddress address) {
    return policy.permits(address);
  }

  /** Lets the internal origin {@code originId} through until {@link #revokeInternal}. */
  public void admitInternal(String originId) {
    internalOrigin = originId;
  }

  public void revokeInternal() {
    internalOrigin = null;
  }

  /** True while {@code originId} is the admitted internal origin. */
  public boolean internal(String originId) {
    String in = internalOrigin;
    return in != null && in.equals(originId);
  }
}
