package dev.kasoku.common.net;

import java.net.InetAddress;
import java.util.Arrays;
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
 *
 * <p>IPv6 addresses that carry an IPv4 address are judged by the IPv4 address they carry, because
 * that is where a translator or relay on the path delivers the packets: IPv4-mapped
 * ({@code ::ffff:0:0/96}), IPv4-compatible ({@code ::/96}), IPv4-translated ({@code ::ffff:0:0:0/96}),
 * the NAT64 well-known prefix ({@code 64:ff9b::/96}, RFC 6052), 6to4 ({@code 2002::/16}, the IPv4
 * address in bits 16-47) and Teredo ({@code 2001::/32}: the server address and the obfuscated
 * client address, both judged). So {@code [64:ff9b::a9fe:a9fe]} is the metadata address
 * 169.254.169.254, while the NAT64 form of a public address is as good as that address. The
 * local-use NAT64 prefix {@code 64:ff9b:1::/48} (RFC 8215) embeds the address at a position only its
 * operator knows, so it is refused unless allowed explicitly. {@link #permits(InetAddress)} is the
 * one implementation of the rule: the config service applies it to literal origin hosts, the edge to
 * every address it connects to.
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
      Cidr.parse("fec0::/10"),        // site-local (deprecated, still routed by some stacks)
      Cidr.parse("64:ff9b:1::/48"),   // local-use NAT64: where the IPv4 address sits is not knowable
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

  /**
   * True when the edge may connect to this address: it lies in an allowed network, or it is not
   * restricted and every IPv4 address it carries is permitted too.
   */
  public boolean permits(InetAddress address) {
    if (isAllowed(address)) {
      return true;
    }
    byte[] a = address.getAddress();
    if (a.length == 16) {
      List<byte[]> carried = carriedIpv4(a);
      if (!carried.isEmpty()) {
        for (byte[] v4 : carried) {
          if (!permits(v4Address(v4))) {
            return false;
          }
        }
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

  private boolean isAllowed(InetAddress address) {
    for (Cidr c : allowed) {
      if (c.contains(address)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The IPv4 addresses an IPv6 address carries (see the class comment), empty for any other
   * address. {@code ::} and {@code ::1} are not IPv4-compatible forms: they are judged as themselves.
   */
  static List<byte[]> carriedIpv4(byte[] a) {
    if (zero(a, 0, 10) && (a[10] & 0xff) == 0xff && (a[11] & 0xff) == 0xff) {
      return List.of(Arrays.copyOfRange(a, 12, 16)); // ::ffff:a.b.c.d, mapped
    }
    if (zero(a, 0, 8) && (a[8] & 0xff) == 0xff && (a[9] & 0xff) == 0xff && zero(a, 10, 12)) {
      return List.of(Arrays.copyOfRange(a, 12, 16)); // ::ffff:0:a.b.c.d, translated (SIIT)
    }
    if (zero(a, 0, 12) && !zero(a, 12, 15)) {
      return List.of(Arrays.copyOfRange(a, 12, 16)); // ::a.b.c.d, compatible (deprecated)
    }
    if (a[0] == 0 && (a[1] & 0xff) == 0x64 && (a[2] & 0xff) == 0xff && (a[3] & 0xff) == 0x9b && zero(a, 4, 12)) {
      return List.of(Arrays.copyOfRange(a, 12, 16)); // 64:ff9b::a.b.c.d, NAT64 well-known prefix
    }
    if ((a[0] & 0xff) == 0x20 && (a[1] & 0xff) == 0x02) {
      return List.of(Arrays.copyOfRange(a, 2, 6)); // 2002:AABB:CCDD::/48, 6to4
    }
    if ((a[0] & 0xff) == 0x20 && (a[1] & 0xff) == 0x01 && a[2] == 0 && a[3] == 0) {
      byte[] client = Arrays.copyOfRange(a, 12, 16); // Teredo: client address, bits inverted
      for (int i = 0; i < 4; i++) {
        client[i] = (byte) ~client[i];
      }
      return List.of(Arrays.copyOfRange(a, 4, 8), client);
    }
    return List.of();
  }

  private static boolean zero(byte[] a, int from, int to) {
    for (int i = from; i < to; i++) {
      if (a[i] != 0) {
        return false;
      }
    }
    return true;
  }

  private static InetAddress v4Address(byte[] v4) {
    try {
      return InetAddress.getByAddress(v4);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException(e); // four bytes are always an address
    }
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
