package dev.kasoku.common.model;

import java.security.SecureRandom;
import java.util.regex.Pattern;

/**
 * Tenant and site ids. They appear in store keys ({@code kasoku:t:{tenant}:...}) and URLs, so the
 * alphabet is restricted: lower-case letters, digits and '-', 1-63 characters, starting with a letter
 * or digit. That keeps one tenant's key space from ever containing another's (no ':' or '*').
 */
public final class Ids {
  public static final Pattern VALID = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

  private Ids() {}

  public static boolean isValid(String id) {
    // the same language as VALID, by hand: every stored access-log record is checked, and a regex
    // match there was a measurable share of the logging role's CPU
    if (id == null || id.isEmpty() || id.length() > 63 || id.charAt(0) == '-') {
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
