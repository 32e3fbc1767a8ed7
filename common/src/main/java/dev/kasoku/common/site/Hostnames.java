package dev.kasoku.common.site;

import java.net.IDN;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Hostname normalisation, the one definition used wherever two hostnames are compared: the
 * hostname index (a hostname belongs to one site of one tenant), the edge's Host/SNI lookup and the
 * certificate coverage check.
 *
 * <p>Normal form: lower case, no trailing dot, internationalised labels as punycode (IDNA 2003 via
 * {@link IDN#toASCII}, with the STD3 rules so only letters, digits and '-' remain). Any valid DNS
 * name is accepted, single-label names such as {@code intranet} included. Names whose last label
 * is all digits are refused: no top-level domain is numeric, and such a "name" is an IPv4 literal
 * in disguise ({@code 127.0.0.1}, {@code 127.1}).
 *
 * <p>Normalising is not claiming: {@link #reservedReason} names the hostnames no site may claim,
 * because they never name a public host (RFC 6761 {@code localhost} and {@code invalid}, RFC 6762
 * {@code local}, ICANN's private-use {@code internal}) or are IP literals. A site claiming one
 * would catch traffic meant for internal names on edges or tools that resolve them locally.
 */
public final class Hostnames {
  /** RFC 1035: 253 characters in presentation form without the trailing dot. */
  public static final int MAX_LENGTH = 253;
  private static final Pattern LABEL = Pattern.compile("[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?");
  private static final Pattern DIGITS = Pattern.compile("[0-9]+");

  /** Special-use top-level names no site may claim, nor any name under them. */
  public static final java.util.List<String> RESERVED_SUFFIXES = java.util.List.of("localhost", "local", "internal",
      "invalid");
  private static final Pattern IPV4ISH = Pattern.compile("\\[?[0-9][0-9.]*\\]?");

  private Hostnames() {}

  /**
   * Why no site may claim {@code raw}, or null when it may (an invalid DNS name is not reserved, it
   * is refused by {@link #normalise}).
   */
  public static String reservedReason(String raw) {
    String s = raw.trim().toLowerCase(Locale.ROOT);
    if (s.indexOf(':') >= 0 && s.replace("[", "").replace("]", "").matches("[0-9a-f:.]+")
        || IPV4ISH.matcher(s).matches()) {
      return "is an IP address; a site hostname must be a DNS name";
    }
    String n = normalise(raw).orElse(null);
    if (n == null) {
      return null;
    }
    for (String r : RESERVED_SUFFIXES) {
      if (n.equals(r) || n.endsWith("." + r)) {
        return "is a reserved name (localhost, *.localhost, *.local, *.internal, *.invalid) that never names a"
            + " public host; no site may claim it";
      }
    }
    return null;
  }

  /** The normal form of {@code raw}, or empty when it is not a valid DNS name. */
  public static Optional<String> normalise(String raw) {
    if (raw == null) {
      return Optional.empty();
    }
    String s = raw.trim();
    if (s.endsWith(".")) {
      s = s.substring(0, s.length() - 1);
    }
    if (s.isEmpty() || s.endsWith(".")) {
      return Optional.empty();
    }
    String ascii;
    try {
      ascii = IDN.toASCII(s, IDN.USE_STD3_ASCII_RULES).toLowerCase(Locale.ROOT);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    if (ascii.isEmpty() || ascii.length() > MAX_LENGTH) {
      return Optional.empty();
    }
    String[] labels = ascii.split("\\.", -1);
    for (String label : labels) {
      if (!LABEL.matcher(label).matches()) {
        return Optional.empty();
      }
    }
    if (DIGITS.matcher(labels[labels.length - 1]).matches()) {
      return Optional.empty();
    }
    return Optional.of(ascii);
  }

  /**
   * The normal form of a name a client sent (Host header without port, or TLS SNI); unlike
   * {@link #normalise} it never fails, so a lookup with garbage simply finds nothing.
   */
  public static String lookupKey(String raw) {
    return normalise(raw).orElse("");
  }

  /**
   * True when a certificate name (a DNS SAN, maybe a wildcard {@code *.example.com}) covers the
   * normalised hostname. A wildcard covers exactly one left-most label (RFC 6125, 6.4.3).
   */
  public static boolean certificateNameCovers(String certName, String hostname) {
    String pattern = certName.toLowerCase(Locale.ROOT);
    if (pattern.endsWith(".")) {
      pattern = pattern.substring(0, pattern.length() - 1);
    }
    if (pattern.startsWith("*.")) {
      int dot = hostname.indexOf('.');
      return dot > 0 && hostname.substring(dot + 1).equals(pattern.substring(2));
    }
    return pattern.equals(hostname);
  }
}
