package dev.kasoku.cacheedge.tls;

import dev.kasoku.common.security.SecretKeys;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.OpenSslSessionStats;
import io.netty.handler.ssl.OpenSslSessionTicketKey;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.WeakHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * TLS session-ticket keys shared by every edge of a cluster, so a client that got a ticket
 * (TLS 1.3 NewSessionTicket, or a TLS 1.2 ticket) from one edge resumes on any other: an abbreviated
 * handshake, no certificate sent, no signature made.
 *
 * <p>Why derived, not generated: OpenSSL generates a random ticket key per context, which only the
 * process that made it can open, so a client that a load balancer sends to another edge would pay a
 * full handshake. Here the key of each epoch (time cut into {@link #DEFAULT_ROTATION} periods since
 * 1970) is derived from {@code KASOKU_SECRET_KEY}, which every node of a cluster already shares:
 * {@code root = HMAC-SHA256(secret, "kasoku/tls-session-tickets/v1")} ({@link SecretKeys#derive}),
 * then HKDF-Expand (RFC 5869, SHA-256) of {@code root} with the info
 * {@code "kasoku tls ticket key, epoch N"} gives 48 bytes: the 16-byte key name, the 16-byte HMAC
 * key and the 16-byte AES key of OpenSSL's ticket format. Nothing is stored and nothing is
 * exchanged; edges agree by arithmetic.
 *
 * <p>Rotation: every context holds the keys of the current epoch (the first: it encrypts new
 * tickets), the previous one and the next one (they only decrypt). The previous key keeps a ticket
 * issued just before a rotation usable for at least one more period; the next key covers an edge
 * whose clock is slightly ahead and has already rotated. A ticket opened with a key that is not the
 * current one is re-issued under the current key. Tickets live at most one period
 * ({@link #lifetimeSeconds}), so a key is never needed past two periods, and a leaked ticket key
 * exposes at most the sessions of three periods (forward secrecy of the ticket, not of the
 * connection: TLS 1.3 resumption still runs an ephemeral key exchange, psk_dhe_ke).
 *
 * <p>A node with another secret derives other keys: its tickets open nowhere else (they fall back
 * to a full handshake), which is also what a change of {@code KASOKU_SECRET_KEY} does to the
 * tickets issued before it.
 *
 * <p>Thread-safety: {@link #install} and {@link #refresh} may run on any thread; Netty guards the
 * context's keys with its own lock.
 */
final class SessionTickets {
  /** HMAC purpose label of the ticket-key root. */
  static final String PURPOSE = "tls-session-tickets/v1";
  /** How long one ticket key encrypts: a new one every 12 hours. */
  static final Duration DEFAULT_ROTATION = Duration.ofHours(12);

  private final byte[] root;
  private final Clock clock;
  private final long periodSeconds;
  /** Every server context that holds our keys (weak: a context closed with its server drops out). */
  private final Set<OpenSslSessionContext> contexts = Collections.newSetFromMap(new WeakHashMap<>());
  private long installedEpoch = Long.MIN_VALUE;

  SessionTickets(byte[] masterSecret, Clock clock, Duration rotation) {
    if (rotation.toSeconds() < 1) {
      throw new IllegalArgumentException("ticket key rotation must be at least one second");
    }
    this.root = SecretKeys.derive(masterSecret, PURPOSE);
    this.clock = clock;
    this.periodSeconds = rotation.toSeconds();
  }

  /** The epoch whose key encrypts now. */
  long currentEpoch() {
    return Math.floorDiv(clock.instant().getEpochSecond(), periodSeconds);
  }

  /** The lifetime the server announces for its tickets, in seconds: one rotation period. */
  int lifetimeSeconds() {
    return (int) Math.min(Integer.MAX_VALUE, periodSeconds);
  }

  /** A new server context: give it this epoch's keys and the ticket lifetime, and keep it for rotations. */
  synchronized void install(OpenSslSessionContext context) {
    refresh();
    context.setSessionTimeout(lifetimeSeconds());
    context.setTicketKeys(keysFor(installedEpoch));
    contexts.add(context);
  }

  /** Moves every context to the current epoch's keys if the epoch changed since the last call. */
  synchronized void refresh() {
    long epoch = currentEpoch();
    if (epoch == installedEpoch) {
      return;
    }
    OpenSslSessionTicketKey[] keys = keysFor(epoch);
    for (OpenSslSessionContext c : contexts) {
      c.setTicketKeys(keys);
    }
    installedEpoch = epoch;
  }

  /** The keys a context holds during {@code epoch}: that epoch's first (it encrypts), then the previous and the next. */
  OpenSslSessionTicketKey[] keysFor(long epoch) {
    return new OpenSslSessionTicketKey[] {key(epoch), key(epoch - 1), key(epoch + 1)};
  }

  /** The ticket key of one epoch (48 bytes by HKDF-Expand, cut into name, HMAC key and AES key). */
  OpenSslSessionTicketKey key(long epoch) {
    byte[] okm = hkdfExpand(root, ("kasoku tls ticket key, epoch " + epoch).getBytes(StandardCharsets.US_ASCII),
        OpenSslSessionTicketKey.TICKET_KEY_SIZE);
    int n = OpenSslSessionTicketKey.NAME_SIZE;
    int h = OpenSslSessionTicketKey.HMAC_KEY_SIZE;
    return new OpenSslSessionTicketKey(Arrays.copyOfRange(okm, 0, n), Arrays.copyOfRange(okm, n, n + h),
        Arrays.copyOfRange(okm, n + h, okm.length));
  }

  /** Ticket counters summed over this process's server contexts (what resumed, what failed to open). */
  synchronized Stats stats() {
    long issued = 0;
    long resumed = 0;
    long renewed = 0;
    long failed = 0;
    for (OpenSslSessionContext c : new ArrayList<>(contexts)) {
      OpenSslSessionStats s = c.stats();
      issued += s.ticketKeyNew();
      resumed += s.ticketKeyResume();
      renewed += s.ticketKeyRenew();
      failed += s.ticketKeyFail();
    }
    return new Stats(issued, resumed, renewed, failed);
  }

  /**
   * Ticket counters: {@code issued} tickets encrypted, {@code resumed} opened with the current key,
   * {@code renewed} opened with the previous or next key (and re-issued), {@code failed} presented
   * but opened with no key held here (another secret, or too old).
   */
  record Stats(long issued, long resumed, long renewed, long failed) {
    long opened() {
      return resumed + renewed;
    }
  }

  /** HKDF-Expand (RFC 5869 section 2.3) with HMAC-SHA256. */
  static byte[] hkdfExpand(byte[] prk, byte[] info, int length) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(prk, "HmacSHA256"));
      byte[] out = new byte[length];
      byte[] t = new byte[0];
      int done = 0;
      for (int i = 1; done < length; i++) {
        mac.update(t);
        mac.update(info);
        mac.update((byte) i);
        t = mac.doFinal();
        int n = Math.min(t.length, length - done);
        System.arraycopy(t, 0, out, done, n);
        done += n;
      }
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }
}
