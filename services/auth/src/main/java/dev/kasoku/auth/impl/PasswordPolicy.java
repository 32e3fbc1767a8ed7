package dev.kasoku.auth.impl;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What a new password must be: at least {@value #MIN_LENGTH} characters, not the username nor
 * containing it, at least {@value #MIN_DISTINCT} distinct characters, and not a commonly used
 * password — the bundled list ({@value #LIST}), also when wrapped in digits or symbols or written
 * with the usual letter-for-digit swaps ({@code P@ssw0rd2024!} is {@code password}).
 *
 * <p>Length is the main defence (NIST SP 800-63B); the list catches the passwords attackers try
 * first. No composition rules (they push users to the patterns the list catches).
 */
public final class PasswordPolicy {
  public static final int MIN_LENGTH = 12;
  public static final int MIN_DISTINCT = 5;
  static final String LIST = "/dev/kasoku/auth/common-passwords.txt";

  private final Set<String> common;

  public PasswordPolicy() {
    this.common = load();
  }

  /** Every reason the password is refused; empty when it is acceptable. */
  public List<String> problems(String username, String password) {
    List<String> out = new ArrayList<>();
    if (password.codePointCount(0, password.length()) < MIN_LENGTH) {
      out.add("password: must be at least " + MIN_LENGTH + " characters");
    }
    String lower = password.toLowerCase(Locale.ROOT);
    String user = username.toLowerCase(Locale.ROOT);
    if (lower.equals(user) || (user.length() >= 3 && lower.contains(user))) {
      out.add("password: must not contain the username");
    }
    if (lower.codePoints().distinct().count() < MIN_DISTINCT) {
      out.add("password: must have at least " + MIN_DISTINCT + " different characters");
    }
    if (isCommon(lower)) {
      out.add("password: is a commonly used password");
    }
    return out;
  }

  boolean isCommon(String lower) {
    if (common.contains(lower)) {
      return true;
    }
    String core = core(lower);
    return !core.isEmpty() && (common.contains(core) || common.contains(unleet(core)));
  }

  /** The password without leading/trailing digits and symbols. */
  private static String core(String s) {
    int start = 0;
    int end = s.length();
    while (start < end && !Character.isLetter(s.charAt(start))) {
      start++;
    }
    while (end > start && !Character.isLetter(s.charAt(end - 1))) {
      end--;
    }
    return s.substring(start, end);
  }

  private static String unleet(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      b.append(switch (c) {
        case '@', '4' -> 'a';
        case '0' -> 'o';
        case '1', '!' -> 'i';
        case '3' -> 'e';
        case '$', '5' -> 's';
        case '7' -> 't';
        default -> c;
      });
    }
    return b.toString();
  }

  private static Set<String> load() {
    try (InputStream in = PasswordPolicy.class.getResourceAsStream(LIST)) {
      if (in == null) {
        throw new IllegalStateException(LIST + " is missing from the classpath");
      }
      Set<String> out = new HashSet<>();
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      for (String line; (line = r.readLine()) != null; ) {
        String t = line.trim();
        if (!t.isEmpty() && !t.startsWith("#")) {
          out.add(t.toLowerCase(Locale.ROOT));
        }
      }
      return Set.copyOf(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
