package dev.kasoku.common.security;

import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Operator credentials. They are opaque bearer strings ({@code kso_} + 256 random bits when Kasoku
 * generates one; any string of at least {@value #MIN_LENGTH} characters when given in
 * {@code KASOKU_BOOTSTRAP_TOKEN}). Only their SHA-256 is stored, as a platform-scope marker named
 * {@link #markerName}, so every node can verify one without the auth service and no store dump
 * reveals it.
 */
public final class OperatorCredentials {
  public static final String PREFIX = "kso_";
  /** Shortest accepted operator credential. */
  public static final int MIN_LENGTH = 24;
  /** Platform-scope counter whose first increment elects the node that generates the credential. */
  public static final String BOOTSTRAP_COUNTER = "operator-bootstrap";
  private static final SecureRandom RANDOM = new SecureRandom();

  private OperatorCredentials() {}

  /** A new random operator credential. */
  public static String generate() {
    byte[] raw = new byte[32];
    RANDOM.nextBytes(raw);
    return PREFIX + HexFormat.of().formatHex(raw);
  }

  /** The platform marker that records the credential's hash. */
  public static String markerName(String credential) {
    return "operator-token:" + ApiKeys.sha256Hex(credential);
  }
}
