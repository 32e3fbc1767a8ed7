package dev.kasoku.common.store;

import dev.kasoku.common.model.PurgeRecord;
import io.vertx.core.Future;
import java.util.List;

/**
 * The durable, ordered log of purges. A purge is acknowledged to its caller only after
 * {@link #append} succeeded, so a crash afterwards cannot lose it; edges replay from the last
 * sequence they applied.
 *
 * <p><b>Retention.</b> The log is bounded: {@link #trim} drops all but the newest entries, and
 * {@link #trimmedThrough} says up to which sequence entries may have been dropped that way. An edge
 * whose last applied sequence is below it cannot know what it missed and must treat its whole cache
 * as purged; erasing a tenant's entries does not move it (those purges concern nobody any more).
 */
public interface PurgeLog {

  /** Appends the record and returns it with its assigned sequence (ignoring the one passed in). */
  Future<PurgeRecord> append(PurgeRecord record);

  /** Records with {@code seq > afterSeq}, oldest first, at most {@code limit}. */
  Future<List<PurgeRecord>> readAfter(long afterSeq, int limit);

  /** The highest sequence assigned so far (0 when the log is empty). */
  Future<Long> lastSeq();

  /**
   * Drops the oldest entries so that at most {@code keepNewest} remain.
   *
   * @param keepNewest at least 1: the newest entry always stays, so a reader behind can see a gap
   * @return how many entries were dropped
   */
  Future<Long> trim(long keepNewest);

  /**
   * The highest sequence that {@link #trim} may have dropped (0 when it never dropped anything);
   * never goes back.
   */
  Future<Long> trimmedThrough();
}
