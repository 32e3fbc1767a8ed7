package dev.kasoku.common.net;

import java.net.InetAddress;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which origin addresses a site may point the edge at (server-side request forgery defence).
 *
 * <p>An origin on a loopback, private, shared (CGNAT), link-local, unspecified, multicast or cloud
 * metadata address would let a customer make our edges fetch from our own network. Such addresses
 * are refused unless the operator lists their network in {@code KASOKU_ALLOWED_ORIGIN_NETWORKS}
 * (development and tests use loopback origins that way). The config service applies the check to
 * literal origin hosts when a site is stored; the edge applies {@link #permits(InetAddress)} to
 * the address it actually connects to, which also covers DNS names that resolve inward.
 *
 * <p>Numeric host forms other than a canonical dotted quad ({@code 127.1}, {@code 2130706433},
 * {@code 0x7f.0.0.1}) are refused outright: resolvers accept them as IPv4 literals, so they are a
 * classic way around a literal check.
 */
public final class OriginAddressPolicy {
  /** Networks no origin may use unless explicitly allowed. */
  public static final List<Cidr> RESTRICTED = List.of(
      Cidr.parse("0.0.0.0/8"),        // "this network", unspecified
      Cidr.parse("10.0.0.0/8"),       // private
      Cidr.parse("100.64.0.0/10"),    // shared address space (CGNAT; some clouds' metadata)
      Cidr.parse("127.0.0.0/8"),      // loopback
      Cidr.parse("169.254.0.0/16"),   // link-local, incl. 169.254.169.254 metadata
      Cidr.parse("172.16.0.0/12"),    // private
      Cidr.parse("192.0.0.0/24"),     // IETF protocol assignments (incl. 192.0.0.192 metadata)
      Cidr.parse("192.168.0.0/16"),   // private
      Cidr.parse("198.18.0.0/15"),    // benchmarking
      Cidr.parse("224.0.0.0/4"),      // multicast
      Cidr.parse("240.0.0.0/4"),      // reserved, broadcast
      Cidr.parse("::/128"),           // unspecified
      Cidr.parse("::1/128"),          // loopback
      Cidr.parse("fc00::/7"),         // unique local, incl. fd00:ec2::254 metadata
      Cidr.parse("fe80::/10"),        // link-local
      Cidr.parse("ff00::/8"));        // multicast

  /** Hosts that only ever name this machine (RFC 6761). */
  private static final Pattern LOCALHOST = Pattern.compile("(?:.+\\.)?localhost");
  /** Anything an inet_aton-style parser could read as an IPv4 address. */
  private static final Pattern NUMERIC_HOST =
      Pattern.compile("(?:0x[0-9a-f]*|[0-9]+)(?:\\.(?:0x[0-9a-f]*|[0-9]+)){0,3}\\.?", Pattern.CASE_INSENSITIVE);
  private static final Pattern DOTTED_QUAD = Pattern.compile("(?:0|[1-9][0-9]{0,2})(?:\\.(?:0|[1-9][0-9]{0,2})){3}");

  private final List<Cidr> allowed;

  public OriginAddressPolicy(List<Cidr> allowed) {
    this.allowed = List.copyOf(allowed);
  }

  /** True when the edge may connect to this address. */
  public boolean permits(InetAddress address) {
    for (Cidr c : allowed) {
      if (c.contains(address)) {
        return true;
      }
    }
    for (Cidr c : RESTRICTED) {
      if (c.contains(address)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Checks the host part of an origin URL as written (no DNS lookup): empty when acceptable, else
   * the reason it is refused.
   *
   * @param host the URI host, IPv6 literals with or without brackets
   */
  public Optional<String> checkHost(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    if (h.indexOf(':') >= 0) {
      byte[] v6 = Cidr.literalBytes(h);
      if (v6 == null) {
        return Optional.of("'" + host + "' is not a valid IPv6 address");
      }
      return checkLiteral(host, v6);
    }
    if (NUMERIC_HOST.matcher(h).matches()) {
      if (!DOTTED_QUAD.matcher(h).matches()) {
        return Optional.of("'" + host + "' is a numeric host that is not a canonical IPv4 address");
      }
      byte[] v4 = Cidr.literalBytes(h);
      if (v4 == null) {
        return Optional.of("'" + host + "' is not a valid IPv4 address");
      }
      return checkLiteral(host, v4);
    }
    String name = h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    if (LOCALHOST.matcher(name).matches()) {
      return permits(InetAddress.getLoopbackAddress())
          ? Optional.empty()
          : Optional.of("'" + host + "' names this machine (loopback); not allowed by KASOKU_ALLOWED_ORIGIN_NETWORKS");
    }
    return Optional.empty();
  }

  private Optional<String> checkLiteral(String host, byte[] bytes) {
    InetAddress address;
    try {
      address = InetAddress.getByAddress(bytes);
    } catch (java.net.UnknownHostException e) {
      return Optional.of("'" + host + "' is not a valid address");
    }
    return permits(address)
        ? Optional.empty()
        : Optional.of("'" + host + "' is a loopback, private, link-local or metadata address;"
            + " not allowed by KASOKU_ALLOWED_ORIGIN_NETWORKS");
  }
}
