package dev.kasoku.logging.impl;

import dev.kasoku.common.bus.Messages.AccessLogBatch;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * Which edge batches this logging instance has stored, so that a resend (the edge did not get the
 * acknowledgement: a lost reply, a timeout while the disk was slow) is dropped instead of stored
 * twice. A batch is known by (node, stream, seq); per (node, stream) it keeps the highest seq up to
 * which everything is accounted for, plus the seqs stored above it (batches arrive out of order:
 * several are in flight, and a failed one is resent after later ones). The batch's {@code floor}
 * (the sender will never send a lower seq again) moves that mark up, so a seq the edge gave up on
 * does not hold it back forever.
 *
 * <p><b>Bounded.</b> At most {@link #MAX_STREAMS} streams (least recently used forgotten first) and
 * {@link #MAX_ABOVE} seqs above the mark per stream (lowest forgotten first); a resend of a forgotten
 * batch is stored again. So is a resend that reaches another logging instance, or this one after a
 * restart (the table is in memory): such cross-instance duplicates are counted, not dropped (the
 * edge counts every batch acknowledged after an earlier attempt timed out, in
 * {@code kasoku_edge_log_possible_duplicates_total}); dropping them would need a table shared by
 * the instances on every batch's path. The download keeps them, each line with its {@code requestId},
 * so a reader can tell.
 *
 * <p>Not thread-safe: used from the ordered writer of {@link AccessLogService} only.
 */
final class BatchDedupe {
  static final int MAX_STREAMS = 4096;
  static final int MAX_ABOVE = 1024;

  private final Map<String, Window> streams = new LinkedHashMap<>(256, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Window> eldest) {
      return size() > MAX_STREAMS;
    }
  };

  /** One stream's stored seqs: every seq up to {@code upTo}, and {@code above}. */
  private static final class Window {
    long upTo;
    final TreeSet<Long> above = new TreeSet<>();

    void floor(long floor) {
      if (floor - 1 > upTo) {
        upTo = floor - 1;
        above.headSet(upTo, true).clear();
      }
      compact();
    }

    void compact() {
      while (!above.isEmpty() && above.first() == upTo + 1) {
        upTo = above.pollFirst();
      }
    }
  }

  private static String key(AccessLogBatch b) {
    return b.node() + "\u0000" + b.stream();
  }

  /** True when the batch was stored before (a resend); batches without a stream are never duplicates. */
  boolean seen(AccessLogBatch b) {
    if (b.stream() == null) {
      return false;
    }
    Window w = streams.get(key(b));
    if (w == null) {
      return false;
    }
    w.floor(b.floor());
    return b.seq() <= w.upTo || w.above.contains(b.seq());
  }

  /** Notes that the batch is stored. */
  void stored(AccessLogBatch b) {
    if (b.stream() == null) {
      return;
    }
    Window w = streams.computeIfAbsent(key(b), k -> new Window());
    w.floor(b.floor());
    if (b.seq() > w.upTo) {
      w.above.add(b.seq());
      w.compact();
      if (w.above.size() > MAX_ABOVE) {
        w.above.pollFirst();
      }
    }
  }

  /** Streams tracked now. */
  int streams() {
    return streams.size();
  }
}
