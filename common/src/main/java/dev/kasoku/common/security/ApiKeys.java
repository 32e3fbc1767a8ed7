package dev.kasoku.common.security;

import dev.kasoku.common.model.ApiKey;
import dev.kasoku.common.model.Ids;
import dev.kasoku.common.model.TenantRole;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * API keys: {@code ksk_<id>_<secret>}. The id (16 characters of [a-z0-9]) is the visible, unique
 * prefix a key is listed, looked up and revoked by; the secret is 32 random bytes (256 bits) in hex,
 * shown once at creation and stored only as its SHA-256.
 *
 * <p>Why SHA-256 and not a slow password hash: a slow hash protects low-entropy secrets (passwords)
 * against guessing. A 256-bit random secret cannot be guessed whatever the hash's speed, so a slow
 * hash would add nothing but CPU cost on every API call (each call verifies its key). A leaked hash
 * table still yields no usable key. Comparison is constant-time.
 */
public final class ApiKeys {
  public static final String PREFIX = "ksk_";
  /** Length of the id part. */
  public static final int ID_LENGTH = 16;
  private static final int SECRET_BYTES = 32;
  private static final Pattern FORMAT = Pattern.compile("ksk_([a-z0-9]{" + ID_LENGTH + "})_([0-9a-f]{"
      + (SECRET_BYTES * 2) + "})");
  private static final SecureRandom RANDOM = new SecureRandom();

  private ApiKeys() {}

  /** A new key: the record to store and the full key string to show once. */
  public record Generated(ApiKey stored, String key) {}

  /** The two parts of a presented key. */
  public record Parsed(String id, String secret) {}

  public static Generated generate(String tenant, String name, TenantRole role, Instant now) {
    String id = Ids.random(ID_LENGTH);
    byte[] raw = new byte[SECRET_BYTES];
    RANDOM.nextBytes(raw);
    String secret = HexFormat.of().formatHex(raw);
    ApiKey stored = new ApiKey(id, tenant, name, role, hash(secret), now);
    return new Generated(stored, PREFIX + id + "_" + secret);
  }

  /** True when the credential claims to be an API key (it may still be malformed). */
  public static boolean looksLikeKey(String credential) {
    return credential.startsWith(PREFIX);
  }

  public static Optional<Parsed> parse(String credential) {
    Matcher m = FORMAT.matcher(credential);
    return m.matches() ? Optional.of(new Parsed(m.group(1), m.group(2))) : Optional.empty();
  }

  /** The stored form of a secret: {@code sha256:<hex>}. */
  public static String hash(String secret) {
    return "sha256:" + sha256Hex(secret);
  }

  /** Constant-time check of a presented secret against the stored hash. */
  public static boolean matches(String secret, String storedHash) {
    return MessageDigest.isEqual(hash(secret).getBytes(StandardCharsets.US_ASCII),
        storedHash.getBytes(StandardCharsets.US_ASCII));
  }

  /** Lower-case hex SHA-256 of the UTF-8 text. */
  public static String sha256Hex(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }
}
