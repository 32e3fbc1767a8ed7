package dev.kasoku.common.security;

import dev.kasoku.common.config.KasokuConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The process's master secret and the keys derived from it.
 *
 * <p>The master secret is {@code KASOKU_SECRET_KEY}. In dev mode without it, a random one is
 * generated at first use and kept in {@code $KASOKU_DATA_DIR/}{@value #DEV_KEY_FILE} (mode 0600),
 * so restarts keep tokens and encrypted data valid; there is never a built-in default key.
 * Production mode refuses to start without the variable ({@link KasokuConfig}).
 *
 * <p>Each use gets its own key, {@code HMAC-SHA256(master, "kasoku/" + purpose)}, so a key used to
 * sign tokens is never the key that encrypts data at rest, and a leak of one derived key does not
 * reveal the master or the others.
 *
 * <p>{@link #master} does file I/O: call it off the event loop (it is called once per process).
 */
public final class SecretKeys {
  /** File name of the generated dev-mode secret in the data directory. */
  public static final String DEV_KEY_FILE = "secret.key";
  /** Purpose label of the login-token signing key. */
  public static final String TOKEN_SIGNING = "token-signing/v1";

  private static final System.Logger LOG = System.getLogger(SecretKeys.class.getName());
  private static final SecureRandom RANDOM = new SecureRandom();

  private SecretKeys() {}

  /** The master secret's bytes: the configured key, or the persisted dev key (created if absent). */
  public static byte[] master(KasokuConfig config) {
    if (config.secretKey() != null) {
      return config.secretKey().getBytes(StandardCharsets.UTF_8);
    }
    if (config.mode() == KasokuConfig.Mode.PRODUCTION) {
      throw new IllegalStateException("KASOKU_SECRET_KEY is required in production mode");
    }
    return devKey(config.dataDir().resolve(DEV_KEY_FILE));
  }

  /** A 32-byte key for one purpose, derived from the master secret. */
  public static byte[] derive(byte[] master, String purpose) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(master, "HmacSHA256"));
      return mac.doFinal(("kasoku/" + purpose).getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  static byte[] devKey(Path file) {
    try {
      if (!Files.exists(file)) {
        Files.createDirectories(file.toAbsolutePath().getParent());
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        String encoded = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        try {
          writeOwnerOnly(file, encoded.getBytes(StandardCharsets.US_ASCII));
          LOG.log(System.Logger.Level.WARNING, "dev mode: no KASOKU_SECRET_KEY, generated one in " + file
              + "; set KASOKU_SECRET_KEY (the same on every node) for anything but a single dev process");
        } catch (FileAlreadyExistsException raced) {
          // another process created it first: use theirs
        }
      }
      String text = Files.readString(file, StandardCharsets.US_ASCII).trim();
      if (text.length() < KasokuConfig.MIN_SECRET_KEY_LENGTH) {
        throw new IllegalStateException(file + " holds a key shorter than "
            + KasokuConfig.MIN_SECRET_KEY_LENGTH + " characters; delete it to generate a new one");
      }
      return text.getBytes(StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or create the dev secret key " + file, e);
    }
  }

  /**
   * Creates the file with mode 0600 from the start (no window in which it is world-readable).
   * CREATE_NEW: when two processes race on one data dir, exactly one writes and both read it.
   */
  private static void writeOwnerOnly(Path file, byte[] content) throws IOException {
    Set<StandardOpenOption> options = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    FileAttribute<?>[] attrs = posix
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
        : new FileAttribute<?>[0];
    try (SeekableByteChannel ch = Files.newByteChannel(file, options, attrs)) {
      ch.write(ByteBuffer.wrap(content));
    }
  }
}
