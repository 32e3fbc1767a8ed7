package dev.kasoku.auth.impl;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Argon2id password hashing (Bouncy Castle), in the PHC string format
 * {@code $argon2id$v=19$m=<KiB>,t=<iterations>,p=<lanes>$<salt>$<hash>} (unpadded base64), so each
 * stored hash carries its own parameters: raising {@link Params#DEFAULT} later does not break
 * existing hashes, and {@link #needsRehash} tells the login path to upgrade a hash it just verified.
 *
 * <p>Hashing is deliberately slow and memory-hungry, so it never runs on an event loop: it runs on
 * a small dedicated worker pool ({@value #POOL_SIZE} threads), which also bounds the memory and CPU
 * a burst of logins can take (requests queue instead of piling up {@code m} KiB each).
 */
public final class PasswordHasher {
  /** Threads that may hash at once, process-wide. */
  public static final int POOL_SIZE = 2;
  private static final String POOL_NAME = "kasoku-password-hashing";
  private static final int SALT_BYTES = 16;
  private static final int HASH_BYTES = 32;
  /** Refuse to evaluate stored parameters beyond these (a corrupted record must not exhaust the heap). */
  private static final int MAX_MEMORY_KIB = 1 << 20;
  private static final int MAX_ITERATIONS = 64;
  private static final Pattern PHC = Pattern.compile(
      "\\$argon2id\\$v=19\\$m=(\\d{1,8}),t=(\\d{1,3}),p=(\\d{1,2})\\$([A-Za-z0-9+/]+)\\$([A-Za-z0-9+/]+)");
  private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getDecoder();
  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * Argon2id cost parameters.
   *
   * @param memoryKib memory per hash in KiB
   * @param iterations passes over the memory
   * @param parallelism lanes
   */
  public record Params(int memoryKib, int iterations, int parallelism) {
    /** OWASP's recommended minimum for Argon2id (19 MiB, 2 passes, 1 lane). */
    public static final Params DEFAULT = new Params(19 * 1024, 2, 1);

    public Params {
      if (memoryKib < 8 * parallelism || memoryKib > MAX_MEMORY_KIB || iterations < 1
          || iterations > MAX_ITERATIONS || parallelism < 1 || parallelism > 16) {
        throw new IllegalArgumentException("argon2 parameters out of range: m=" + memoryKib + " t="
            + iterations + " p=" + parallelism);
      }
    }
  }

  private final WorkerExecutor workers;
  private final Params params;

  public PasswordHasher(Vertx vertx, Params params) {
    this.workers = vertx.createSharedWorkerExecutor(POOL_NAME, POOL_SIZE);
    this.params = params;
  }

  /** Hashes with the current parameters and a fresh salt, off the event loop. */
  public Future<String> hash(String password) {
    return workers.executeBlocking(() -> hashNow(password, params), false);
  }

  /** Checks a password against a stored hash, off the event loop; false for a malformed hash. */
  public Future<Boolean> verify(String password, String encoded) {
    return workers.executeBlocking(() -> verifyNow(password, encoded), false);
  }

  /** True when the stored hash uses other parameters than the current ones. */
  public boolean needsRehash(String encoded) {
    Matcher m = PHC.matcher(encoded);
    return !m.matches() || Integer.parseInt(m.group(1)) != params.memoryKib()
        || Integer.parseInt(m.group(2)) != params.iterations() || Integer.parseInt(m.group(3)) != params.parallelism();
  }

  public Future<Void> close() {
    return workers.close();
  }

  static String hashNow(String password, Params p) {
    byte[] salt = new byte[SALT_BYTES];
    RANDOM.nextBytes(salt);
    byte[] hash = derive(password, salt, p, HASH_BYTES);
    return "$argon2id$v=19$m=" + p.memoryKib() + ",t=" + p.iterations() + ",p=" + p.parallelism()
        + "$" + B64.encodeToString(salt) + "$" + B64.encodeToString(hash);
  }

  static boolean verifyNow(String password, String encoded) {
    Matcher m = PHC.matcher(encoded);
    if (!m.matches()) {
      return false;
    }
    Params p;
    byte[] salt;
    byte[] expected;
    try {
      p = new Params(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)));
      salt = B64D.decode(m.group(4));
      expected = B64D.decode(m.group(5));
    } catch (IllegalArgumentException e) {
      return false;
    }
    if (expected.length < 16 || salt.length < 8) {
      return false;
    }
    return MessageDigest.isEqual(derive(password, salt, p, expected.length), expected);
  }

  private static byte[] derive(String password, byte[] salt, Params p, int length) {
    Argon2Parameters a = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
        .withVersion(Argon2Parameters.ARGON2_VERSION_13)
        .withMemoryAsKB(p.memoryKib())
        .withIterations(p.iterations())
        .withParallelism(p.parallelism())
        .withSalt(salt)
        .build();
    Argon2BytesGenerator gen = new Argon2BytesGenerator();
    gen.init(a);
    byte[] out = new byte[length];
    gen.generateBytes(password.getBytes(StandardCharsets.UTF_8), out);
    return out;
  }
}
