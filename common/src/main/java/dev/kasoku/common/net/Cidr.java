package dev.kasoku.common.net;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * An IPv4 or IPv6 network in CIDR notation. Parsing never touches DNS: only literal addresses are
 * accepted. An IPv4-mapped IPv6 address (::ffff:a.b.c.d) matches the IPv4 network it maps to, so a
 * dual-stack socket cannot be used to step around an IPv4 rule.
 */
public record Cidr(byte[] network, int prefixLength) {

  public Cidr {
    network = network.clone();
    if (prefixLength < 0 || prefixLength > network.length * 8) {
      throw new IllegalArgumentException("prefix length " + prefixLength + " out of range");
    }
    network = mask(network, prefixLength);
  }

  /** Parses "10.0.0.0/8", "2001:db8::/32" or a single address (a /32 or /128). */
  public static Cidr parse(String text) {
    String t = text.trim();
    int slash = t.indexOf('/');
    String addr = slash < 0 ? t : t.substring(0, slash);
    byte[] bytes = literalBytes(addr);
    if (bytes == null) {
      throw new IllegalArgumentException("'" + text + "' is not an IP address or CIDR");
    }
    int prefix = bytes.length * 8;
    if (slash >= 0) {
      String p = t.substring(slash + 1);
      if (!p.matches("\\d{1,3}")) {
        throw new IllegalArgumentException("'" + text + "' has an invalid prefix length");
      }
      prefix = Integer.parseInt(p);
      if (prefix > bytes.length * 8) {
        throw new IllegalArgumentException("'" + text + "' has a prefix longer than the address");
      }
    }
    return new Cidr(bytes, prefix);
  }

  /** True when the address lies in this network. */
  public boolean contains(InetAddress address) {
    byte[] a = address.getAddress();
    if (a.length == 16 && network.length == 4 && isV4Mapped(a)) {
      a = Arrays.copyOfRange(a, 12, 16);
    }
    if (a.length != network.length) {
      return false;
    }
    return Arrays.equals(mask(a, prefixLength), network);
  }

  /** True when the literal address text lies in this network; false for anything not a literal. */
  public boolean contains(String literal) {
    byte[] b = literalBytes(literal);
    if (b == null) {
      return false;
    }
    try {
      return contains(InetAddress.getByAddress(b));
    } catch (UnknownHostException e) {
      return false;
    }
  }

  @Override
  public byte[] network() {
    return network.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cidr c && c.prefixLength == prefixLength && Arrays.equals(c.network, network);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(network) + prefixLength;
  }

  @Override
  public String toString() {
    try {
      return InetAddress.getByAddress(network).getHostAddress() + "/" + prefixLength;
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  private static boolean isV4Mapped(byte[] a) {
    for (int i = 0; i < 10; i++) {
      if (a[i] != 0) {
        return false;
      }
    }
    return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
  }

  private static byte[] mask(byte[] address, int prefix) {
    byte[] out = address.clone();
    for (int i = 0; i < out.length; i++) {
      int bits = Math.max(0, Math.min(8, prefix - i * 8));
      out[i] &= (byte) (bits == 0 ? 0 : (0xff << (8 - bits)));
    }
    return out;
  }

  /** The literal IPv4/IPv6 address the text spells, or null when it is not one. Never resolves names. */
  public static InetAddress parseLiteral(String text) {
    byte[] b = literalBytes(text);
    if (b == null) {
      return null;
    }
    try {
      return InetAddress.getByAddress(b);
    } catch (UnknownHostException e) {
      return null;
    }
  }

  /** The bytes of a literal IPv4/IPv6 address, or null. Never resolves names. */
  static byte[] literalBytes(String addr) {
    String a = addr.trim();
    if (a.startsWith("[") && a.endsWith("]")) {
      a = a.substring(1, a.length() - 1);
    }
    if (a.isEmpty()) {
      return null;
    }
    if (a.indexOf(':') >= 0) {
      if (!a.matches("[0-9A-Fa-f:.]+")) {
        return null;
      }
    } else {
      if (!a.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
        return null;
      }
      byte[] v4 = new byte[4];
      String[] parts = a.split("\\.");
      for (int i = 0; i < 4; i++) {
        int octet = Integer.parseInt(parts[i]);
        if (octet > 255) {
          return null;
        }
        v4[i] = (byte) octet;
      }
      return v4;
    }
    try {
      return InetAddress.getByName(a).getAddress();
    } catch (UnknownHostException e) {
      return null;
    }
  }
}
