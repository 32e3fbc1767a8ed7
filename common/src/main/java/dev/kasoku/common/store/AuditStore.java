package dev.kasoku.common.store;

import dev.kasoku.common.model.AuditRecord;
import io.vertx.core.Future;
import java.time.Instant;
import java.util.List;

/**
 * The audit hash chains: one per tenant (in the tenant's namespace, so erasing the tenant erases
 * it) and one for the platform ({@code tenant == null}).
 *
 * <p>The store does not compute hashes; it keeps a chain consistent. {@link #append} is a
 * compare-and-set on the chain's head: it stores the record and moves the head only if the head is
 * still the one the caller built the record on, atomically (a Lua script on Redis, the single writer
 * of the embedded store). Two logging instances appending at once therefore never fork a chain: the
 * loser reads the new head and builds again. The head is kept apart from the records, so that cutting
 * records off the end of the chain is detected, not only editing one in the middle.
 *
 * <p>Retention cuts whole records off the front of a chain and keeps a {@link Head checkpoint}: the
 * (seq, hash) of the last record cut, from which verification continues.
 */
public interface AuditStore {
  /** Most records {@link #records} returns in one call. */
  int MAX_READ = 100_000;

  /**
   * A chain position.
   *
   * @param seq the last record's seq (0 for an empty chain)
   * @param hash the last record's hash ({@link #GENESIS_HASH} for an empty chain)
   */
  record Head(long seq, String hash) {
    public static final String GENESIS_HASH = "0".repeat(64);
    public static final Head GENESIS = new Head(0, GENESIS_HASH);
  }

  /** The chain's head; {@link Head#GENESIS} when the chain is empty or does not exist. */
  Future<Head> head(String tenant);

  /**
   * Appends {@code record} (whose {@code seq} is {@code expected.seq() + 1} and {@code prevHash}
   * {@code expected.hash()}) and moves the head to it, if the head is still {@code expected}.
   *
   * @return true when appended; false when the head had moved (nothing written)
   */
  Future<Boolean> append(String tenant, Head expected, AuditRecord record);

  /**
   * Records in chain order whose {@code ts} is in [from, to), at most {@code limit}
   * (≤ {@link #MAX_READ}); null bounds are open.
   */
  Future<List<AuditRecord>> records(String tenant, Instant from, Instant to, int limit);

  /** The checkpoint left by retention; {@link Head#GENESIS} when nothing was ever cut. */
  Future<Head> checkpoint(String tenant);

  /**
   * Cuts the records older than {@code before} off the front of the chain and moves the checkpoint
   * to the last one cut. The head is kept even when every record is cut.
   *
   * @return the number of records cut
   */
  Future<Integer> trim(String tenant, Instant before);

  /** Tenants that have an audit chain (the platform chain is always there and not listed). */
  Future<List<String>> chains();
}
