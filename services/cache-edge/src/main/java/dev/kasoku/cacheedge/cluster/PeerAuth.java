package dev.kasoku.cacheedge.cluster;

import dev.kasoku.common.security.SecretKeys;
import io.vertx.core.MultiMap;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Authenticates requests between edges on the peer port: an HMAC-SHA256, under a key derived from
 * {@code KASOKU_SECRET_KEY} (purpose {@value #PURPOSE}; never the token-signing key), over the
 * request's method, cache key, the sending node, a timestamp and a nonce.
 *
 * <h2>Wire format</h2>
 * Four request headers: {@value #NODE} (the sender's node id), {@value #TIME} (the sender's clock,
 * epoch milliseconds), {@value #NONCE} (16 random bytes, base64url) and {@value #SIGNATURE}
 * (base64url of the HMAC). The signed string is the label {@code kasoku-peer/v1} and then, each as
 * its length in characters, ':', and itself, followed by a line feed: method, key, node, time,
 * nonce. Length prefixes keep two different tuples from ever producing the same string, whatever
 * the key contains.
 *
 * <h2>What is refused</h2>
 * A request without the four headers, or with a time or signature that does not parse, is
 * {@link Verdict#MISSING} / {@link Verdict#MALFORMED} (the listener answers 401); a well-formed one
 * whose signature does not match, whose time is more than {@code maxSkew} away from this edge's
 * clock ({@link Verdict#EXPIRED}), or whose signature was already accepted within that window
 * ({@link Verdict#REPLAYED}) is answered 403. The replay window is the skew window: a request older
 * than it is refused as expired anyway, so remembering an accepted signature until its time plus
 * {@code maxSkew} is enough. The memory this takes is the peer request rate times that window (about 150 bytes a
 * request: 5 s of skew at 20,000 peer requests a second is about 30 MB); entries are dropped as they
 * leave the window, checked every 1,024 verifications.
 *
 * <p>What it does not protect: the forwarded request headers and the response are not signed (an
 * attacker on the cluster network who can rewrite traffic could alter them), and nothing is
 * encrypted. Both need TLS between edges; the NetworkPolicy of the peer port limits who can reach it
 * to edge pods at all. Thread-safe: one instance serves every peer connection of the process.
 */
public final class PeerAuth {
  /** Purpose label of the derived key. */
  public static final String PURPOSE = "edge-peer/v1";
  public static final String NODE = "Kasoku-Peer-Node";
  public static final String TIME = "Kasoku-Peer-Time";
  public static final String NONCE = "Kasoku-Peer-Nonce";
  public static final String SIGNATURE = "Kasoku-Peer-Signature";
  private static final String LABEL = "kasoku-peer/v1";
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int PRUNE_EVERY = 1024;

  /** The outcome of checking a request's credentials. */
  public enum Verdict {
    OK(200), MISSING(401), MALFORMED(401), BAD_SIGNATURE(403), EXPIRED(403), REPLAYED(403);

    private final int status;

    Verdict(int status) {
      this.status = status;
    }

    /** The HTTP status the peer listener answers with. */
    public int status() {
      return status;
    }
  }

  private final SecretKeySpec key;
  private final Clock clock;
  private final long maxSkewMs;
  /** Accepted signatures → the epoch ms after which they cannot be replayed anyway. */
  private final Map<String, Long> seen = new ConcurrentHashMap<>();
  private final AtomicInteger sincePrune = new AtomicInteger();

  /**
   * @param master the master secret ({@link SecretKeys#master}); the same on every edge
   * @param maxSkew largest accepted difference between the sender's and this edge's clock
   */
  public PeerAuth(byte[] master, Clock clock, Duration maxSkew) {
    if (maxSkew.isNegative() || maxSkew.isZero()) {
      throw new IllegalArgumentException("maxSkew must be positive");
    }
    this.key = new SecretKeySpec(SecretKeys.derive(master, PURPOSE), "HmacSHA256");
    this.clock = clock;
    this.maxSkewMs = maxSkew.toMillis();
  }

  /** Adds the credentials of a request by {@code node} for {@code method} and {@code cacheKey}. */
  public void sign(MultiMap headers, String method, String cacheKey, String node) {
    byte[] raw = new byte[16];
    RANDOM.nextBytes(raw);
    String nonce = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    String time = Long.toString(clock.millis());
    headers.set(NODE, node).set(TIME, time).set(NONCE, nonce)
        .set(SIGNATURE, mac(method, cacheKey, node, time, nonce));
  }

  /** Checks a received request's credentials; an accepted signature is remembered (see the class comment). */
  public Verdict verify(MultiMap headers, String method, String cacheKey) {
    String node = headers.get(NODE);
    String time = headers.get(TIME);
    String nonce = headers.get(NONCE);
    String signature = headers.get(SIGNATURE);
    if (node == null || time == null || nonce == null || signature == null) {
      return Verdict.MISSING;
    }
    long sentAt;
    try {
      sentAt = Long.parseLong(time);
      Base64.getUrlDecoder().decode(signature);
    } catch (IllegalArgumentException e) {
      return Verdict.MALFORMED;
    }
    String expected = mac(method, cacheKey, node, time, nonce);
    if (!MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
        signature.getBytes(StandardCharsets.US_ASCII))) {
      return Verdict.BAD_SIGNATURE;
    }
    long now = clock.millis();
    if (Math.abs(now - sentAt) > maxSkewMs) {
      return Verdict.EXPIRED;
    }
    if (sincePrune.incrementAndGet() >= PRUNE_EVERY) {
      sincePrune.set(0);
      prune(now);
    }
    if (seen.putIfAbsent(expected, sentAt + maxSkewMs) != null) {
      return Verdict.REPLAYED;
    }
    return Verdict.OK;
  }

  /** Signatures remembered against replay (tests, metrics). */
  int remembered() {
    return seen.size();
  }

  private void prune(long now) {
    for (Iterator<Long> it = seen.values().iterator(); it.hasNext(); ) {
      if (it.next() < now) {
        it.remove();
      }
    }
  }

  private String mac(String method, String cacheKey, String node, String time, String nonce) {
    StringBuilder sb = new StringBuilder(LABEL.length() + cacheKey.length() + 96).append(LABEL).append('\n');
    for (String part : new String[] {method, cacheKey, node, time, nonce}) {
      sb.append(part.length()).append(':').append(part).append('\n');
    }
    try {
      Mac m = Mac.getInstance("HmacSHA256");
      m.init(key);
      return Base64.getUrlEncoder().withoutPadding()
          .encodeToString(m.doFinal(sb.toString().getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }
}
