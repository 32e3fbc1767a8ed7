package dev.kasoku.common.store;

import dev.kasoku.common.model.PurgeRecord;
import io.vertx.core.Future;
import java.util.List;

/**
 * The durable, ordered log of purges. A purge is acknowledged to its caller only after
 * {@link #append} succeeded, so a crash afterwards cannot lose it; edges replay from the last
 * sequence they applied.
 */
public interface PurgeLog {

  /** Appends the record and returns it with its assigned sequence (ignoring the one passed in). */
  Future<PurgeRecord> append(PurgeRecord record);

  /** Records with {@code seq > afterSeq}, oldest first, at most {@code limit}. */
  Future<List<PurgeRecord>> readAfter(long afterSeq, int limit);

  /** The highest sequence assigned so far (0 when the log is empty). */
  Future<Long> lastSeq();
}
