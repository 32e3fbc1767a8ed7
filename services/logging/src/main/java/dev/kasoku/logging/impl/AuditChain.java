package dev.kasoku.logging.impl;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonFactory;
import dev.kasoku.common.bus.Messages.AuditEvent;
import dev.kasoku.common.json.Timestamps;
import dev.kasoku.common.model.AuditRecord;
import dev.kasoku.common.store.AuditStore;
import dev.kasoku.common.store.AuditStore.Head;
import io.vertx.core.Future;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;

/**
 * The audit trail's hash chains: appending an event, and verifying a chain.
 *
 * <p><b>Chaining.</b> Each record carries {@code prevHash}, the hash of the record before it (64
 * zeros before the first), and {@code hash}, the lowercase hex SHA-256 of its own
 * {@link #canonical canonical encoding}, which includes {@code seq} and {@code prevHash}. Editing any
 * field of a record changes its hash; deleting or reordering records breaks the links; cutting off
 * the end is caught by comparing the last record with the chain's head, which the store keeps
 * apart. docs/audit.md documents the encoding for customers who verify offline.
 *
 * <p><b>Appending</b> reads the head, builds the next record on it and asks the store to append it
 * only if the head has not moved ({@link AuditStore#append}); when another logging instance appended
 * first, it reads the new head and builds again, so concurrent instances never fork a chain.
 *
 * <p><b>Which chain.</b> An event for a tenant goes to that tenant's chain. Platform actions go to the
 * platform chain: events without a tenant, and the lifecycle of tenants ({@code tenant.*}), which
 * must outlive the tenant's own chain when the tenant is erased.
 */
public final class AuditChain {
  /** Attempts at appending one event when other instances keep moving the head. */
  static final int MAX_ATTEMPTS = 16;
  private static final JsonFactory JSON = new JsonFactory();

  private final AuditStore store;
  /** The last append queued per chain by this instance (null key: the platform chain). */
  private final java.util.Map<String, Future<AuditRecord>> tails = new java.util.HashMap<>();

  public AuditChain(AuditStore store) {
    this.store = store;
  }

  /** The chain an event belongs to: its tenant's, or the platform's (null). */
  public static String chainOf(AuditEvent event) {
    return event.tenant() == null || event.action().startsWith("tenant.") ? null : event.tenant();
  }

  /**
   * Appends the event to its chain; completes with the stored record. Appends of this instance to
   * one chain run one after the other, so they never race each other for the head (only other
   * instances can move it). Call from one context: the queue is not thread-safe.
   */
  public Future<AuditRecord> append(AuditEvent event) {
    String chain = chainOf(event);
    Future<AuditRecord> before = tails.get(chain);
    Future<AuditRecord> mine = before == null
        ? append(chain, event, MAX_ATTEMPTS)
        : before.transform(ignored -> append(chain, event, MAX_ATTEMPTS));
    tails.put(chain, mine);
    mine.onComplete(done -> tails.remove(chain, mine));
    return mine;
  }

  private Future<AuditRecord> append(String chain, AuditEvent event, int attemptsLeft) {
    return store.head(chain).compose(head -> {
      AuditRecord record = build(head, event);
      return store.append(chain, head, record).compose(appended -> {
        if (appended) {
          return Future.succeededFuture(record);
        }
        return attemptsLeft > 1
            ? append(chain, event, attemptsLeft - 1)
            : Future.failedFuture(new IllegalStateException("the audit chain " + name(chain)
                + " kept moving; gave up after " + MAX_ATTEMPTS + " attempts"));
      });
    });
  }

  /** The record that follows {@code on} for the event, hashed. */
  public static AuditRecord build(Head on, AuditEvent e) {
    Instant ts = e.ts().truncatedTo(ChronoUnit.MILLIS);
    AuditRecord unsigned = new AuditRecord(on.seq() + 1, ts, e.tenant(), e.actor(), e.action(), e.target(),
        e.sourceIp(), e.outcome(), e.requestId(), on.hash(), null);
    return withHash(unsigned, hash(unsigned));
  }

  private static AuditRecord withHash(AuditRecord r, String hash) {
    return new AuditRecord(r.seq(), r.ts(), r.tenant(), r.actor(), r.action(), r.target(), r.sourceIp(),
        r.outcome(), r.requestId(), r.prevHash(), hash);
  }

  /**
   * The canonical encoding a record's hash is computed over: one JSON object, no white space,
   * these members in this order — {@code seq} (number), {@code ts} (RFC 3339 UTC with three
   * fraction digits), {@code tenant}, {@code actor}, {@code action}, {@code target},
   * {@code sourceIp}, {@code outcome}, {@code requestId} (strings, or null), {@code prevHash} —
   * with JSON's standard string escaping, encoded as UTF-8.
   */
  public static String canonical(AuditRecord r) {
    StringWriter out = new StringWriter(256);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeNumberField("seq", r.seq());
      g.writeStringField("ts", Timestamps.format(r.ts()));
      g.writeStringField("tenant", r.tenant());
      g.writeStringField("actor", r.actor());
      g.writeStringField("action", r.action());
      g.writeStringField("target", r.target());
      g.writeStringField("sourceIp", r.sourceIp());
      g.writeStringField("outcome", r.outcome());
      g.writeStringField("requestId", r.requestId());
      g.writeStringField("prevHash", r.prevHash());
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /** Lowercase hex SHA-256 of the record's canonical encoding. */
  public static String hash(AuditRecord r) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(sha.digest(canonical(r).getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }

  /**
   * The result of verifying one chain.
   *
   * @param chain the tenant, or null for the platform chain
   * @param records how many records were checked (those kept after retention)
   * @param head the chain's head hash
   * @param firstBad the first record that does not verify, with why; null when {@code ok}
   */
  public record Verification(String chain, boolean ok, long records, String head, Bad firstBad) {}

  /** Where and why a chain breaks; {@code seq} is the record found wrong (or the head's seq). */
  public record Bad(long seq, String reason) {}

  /**
   * Walks the chain from its retention checkpoint to its head: every record must follow the one
   * before it (seq + 1, prevHash = its hash), hash to its own hash, and the last one must be the head.
   */
  public Future<Verification> verify(String chain) {
    Future<Head> checkpoint = store.checkpoint(chain);
    Future<Head> head = store.head(chain);
    Future<List<AuditRecord>> records = store.records(chain, null, null, AuditStore.MAX_READ);
    return Future.all(checkpoint, head, records).map(all -> check(chain, checkpoint.result(), head.result(),
        records.result()));
  }

  /** Verifies records read from a chain (from its checkpoint {@code from}) against its head. */
  public static Verification check(String chain, Head from, Head head, List<AuditRecord> records) {
    Head at = from;
    for (AuditRecord r : records) {
      String why = null;
      if (r.seq() != at.seq() + 1) {
        why = "expected seq " + (at.seq() + 1) + " after " + at.seq() + ", found " + r.seq()
            + " (records missing or reordered)";
      } else if (!at.hash().equals(r.prevHash())) {
        why = "prevHash does not match the hash of record " + at.seq();
      } else if (!hash(r).equals(r.hash())) {
        why = "the record's content does not match its hash (edited)";
      }
      if (why != null) {
        return new Verification(chain, false, records.size(), head.hash(), new Bad(r.seq(), why));
      }
      at = new Head(r.seq(), r.hash());
    }
    if (!at.equals(head)) {
      return new Verification(chain, false, records.size(), head.hash(), new Bad(head.seq(),
          "the chain ends at record " + at.seq() + " but its head is record " + head.seq()
              + " (records cut off the end, or the head was altered)"));
    }
    return new Verification(chain, true, records.size(), head.hash(), null);
  }

  private static String name(String chain) {
    return chain == null ? "platform" : "of tenant " + chain;
  }
}
