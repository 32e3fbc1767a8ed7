package dev.kasoku.common.tls;

import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.security.SecretKeys;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts secrets that must be stored (customers' TLS private keys) with AES-256-GCM under a key
 * derived from {@code KASOKU_SECRET_KEY}.
 *
 * <p>Why this shape: every node that serves a site must decrypt its key, so the key comes from the
 * shared platform secret, not from per-node state; a derived key per purpose
 * ({@link SecretKeys#derive}) keeps token signing and key encryption from ever sharing a key. Each
 * sealed value carries a fresh 96-bit nonce, and the caller's {@code context} (e.g. the tenant and
 * site) is bound as associated data, so a sealed key copied into another tenant's record does not
 * open.
 *
 * <p>Sealed form: {@value #PREFIX} followed by base64url(nonce ‖ ciphertext ‖ 128-bit tag). The
 * version prefix leaves room for key rotation.
 */
public final class SecretSealer {
  public static final String PREFIX = "v1:";
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final SecretKeySpec key;

  private SecretSealer(byte[] key) {
    this.key = new SecretKeySpec(key, "AES");
  }

  /**
   * The sealer for {@code purpose}, keyed from the platform master secret
   * ({@link SecretKeys#master}: {@code KASOKU_SECRET_KEY}, or in dev mode the generated key kept in
   * the data directory). Reads a file in dev mode: call it off the event loop.
   */
  public static SecretSealer forPurpose(KasokuConfig config, String purpose) {
    return forPurpose(SecretKeys.master(config), purpose);
  }

  /** The sealer for {@code purpose} keyed from an explicit master secret (tests, tools). */
  public static SecretSealer forPurpose(byte[] masterSecret, String purpose) {
    return new SecretSealer(SecretKeys.derive(masterSecret, purpose));
  }

  /** Encrypts {@code plaintext}, bound to {@code context}. */
  public String seal(String plaintext, String context) {
    try {
      byte[] nonce = new byte[NONCE_BYTES];
      RANDOM.nextBytes(nonce);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
      byte[] ct = cipher.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
      byte[] out = new byte[nonce.length + ct.length];
      System.arraycopy(nonce, 0, out, 0, nonce.length);
      System.arraycopy(ct, 0, out, nonce.length, ct.length);
      return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(out);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
  }

  /**
   * Decrypts a value sealed with the same key and context.
   *
   * @throws IllegalArgumentException when the value is malformed, was sealed under another key or
   *     context, or was tampered with (the message never contains the value)
   */
  public String open(String sealed, String context) {
    if (sealed == null || !sealed.startsWith(PREFIX)) {
      throw new IllegalArgumentException("not a sealed value of version " + PREFIX);
    }
    try {
      byte[] in = Base64.getUrlDecoder().decode(sealed.substring(PREFIX.length()));
      if (in.length < NONCE_BYTES + TAG_BITS / 8) {
        throw new IllegalArgumentException("sealed value too short");
      }
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, in, 0, NONCE_BYTES));
      cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
      byte[] pt = cipher.doFinal(in, NONCE_BYTES, in.length - NONCE_BYTES);
      return new String(pt, StandardCharsets.UTF_8);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("sealed value does not open with this key and context");
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("sealed value is malformed");
    }
  }
}
