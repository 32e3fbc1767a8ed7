package dev.kasoku.logging.sink;

import java.time.Instant;
import java.util.Map;

/**
 * What one logging instance stores of one sink after every accepted batch: where it is in each of
 * the tenant's segment files, and the sink's health as seen from this instance. Stored as JSON in
 * the {@link dev.kasoku.common.store.LogSinkStore}; the GET of the sinks adds up the health of every
 * instance.
 *
 * @param floor the oldest hour ({@code yyyyMMddHH}) this cursor still watches: a segment file of an
 *     earlier hour that is not in {@code files} was delivered, skipped, or existed before the sink did
 * @param files per segment file (by its hour), the position of the first record not yet accepted
 * @param delivered records the sink accepted, since it was created
 * @param skipped records given up for the lag bound (each announced in the tenant's feed)
 * @param misconfigured the receiver refused the last batch for a reason retrying will not fix (an
 *     HTTP 4xx other than 408 and 429, a TLS certificate it does not verify, a forbidden address)
 * @param lagRecords records stored and not yet accepted (also those the filter will drop)
 * @param lagSeconds age of the oldest record not yet accepted; 0 when there is none
 * @param lagBytes stored (compressed) bytes behind the cursor
 */
public record SinkCursor(String floor, Map<String, Position> files, long delivered, long skipped,
                         Instant lastSuccessAt, String lastError, Instant lastErrorAt, boolean misconfigured,
                         long lagRecords, double lagSeconds, long lagBytes, Instant updatedAt) {
  public SinkCursor {
    files = files == null ? Map.of() : Map.copyOf(files);
  }

  /**
   * A position in a segment file: the block at {@code offset}, of which the first {@code line}
   * lines were accepted already (a batch may end inside a block).
   */
  public record Position(long offset, int line) {}
}
