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
 * name is accepted, single-label names such as {@code localhost} included. Names whose last label
 * is all digits are refused: no top-level domain is numeric, and such a "name" is an IPv4 literal
 * in disguise ({@code 127.0.0.1}, {@code 127.1}).
 */
public final class Hostnames {
  /** RFC 1035: 253 characters in presentation form without the trailing dot. */
  public static final int MAX_LENGTH = 253;
  private static final Pattern LABEL = Pattern.compile("[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?");
  private static final Pattern DIGITS = Pattern.compile("[0-9]+");

  private Hostnames() {}

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
