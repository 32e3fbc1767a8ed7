package dev.kasoku.common.model;

import java.security.SecureRandom;

/**
 * Tenant and site ids. They appear in store keys ({@code kasoku:t:{tenant}:...}) and URLs, so the
 * alphabet is restricted: lower-case letters, digits and '-', 1-63 characters, starting with a letter
 * or digit. That keeps one tenant's key space from ever containing another's (no ':' or '*').
 */
public final class Ids {
  private static final int MAX_LENGTH = 63;
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

  private Ids() {}

  /**
   * Whether {@code id} is in the alphabet above. Checked by hand rather than by a regular
   * expression: the logging role checks the ids of every access-log record it takes in.
   */
  public static boolean isValid(String id) {
    if (id == null || id.isEmpty() || id.length() > MAX_LENGTH || id.charAt(0) == '-') {
      return false;
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
        return false;
      }
    }
    return true;
  }

  public static String requireValid(String id) {
    if (!isValid(id)) {
      throw new IllegalArgumentException("invalid id '" + id + "': expected [a-z0-9][a-z0-9-]{0,62}");
    }
    return id;
  }

  /** A random id of {@code length} characters from [a-z0-9]. */
  public static String random(int length) {
    char[] out = new char[length];
    for (int i = 0; i < length; i++) {
      out[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
    }
    return new String(out);
  }
}
