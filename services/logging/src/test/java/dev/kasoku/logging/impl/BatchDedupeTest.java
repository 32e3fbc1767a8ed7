package dev.kasoku.logging.impl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.bus.Messages.AccessLogBatch;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The resend table: out-of-order batches, the sender's floor, and its bounds. */
class BatchDedupeTest {
  private static AccessLogBatch batch(String stream, long seq, long floor) {
    return new AccessLogBatch("edge-1", stream, seq, floor, null, List.of());
  }

  private static boolean storeUnlessSeen(BatchDedupe d, AccessLogBatch b) {
    if (d.seen(b)) {
      return false;
    }
    d.stored(b);
    return true;
  }

  @Test
  void batchesStoredInAnyOrderAreEachRecognisedWhenSentAgain() {
    BatchDedupe d = new BatchDedupe();
    for (long seq : new long[] {1, 3, 2, 5}) {
      assertThat(storeUnlessSeen(d, batch("s", seq, 1))).as("first copy of %s", seq).isTrue();
    }
    for (long seq : new long[] {1, 2, 3, 5}) {
      assertThat(storeUnlessSeen(d, batch("s", seq, 1))).as("resend of %s", seq).isFalse();
    }
    assertThat(storeUnlessSeen(d, batch("s", 4, 1))).as("4 was never stored").isTrue();
    assertThat(storeUnlessSeen(d, batch("other", 1, 1))).as("another stream's seq 1").isTrue();
  }

  @Test
  void aSeqTheEdgeGaveUpOnDoesNotHoldTheTableBack() {
    BatchDedupe d = new BatchDedupe();
    storeUnlessSeen(d, batch("s", 1, 1));
    // batch 2 was dropped at the edge: the floor says it will never come, so 3.. compact below the mark
    for (long seq = 3; seq < 3 + BatchDedupe.MAX_ABOVE * 2; seq++) {
      assertThat(storeUnlessSeen(d, batch("s", seq, seq))).isTrue();
    }
    assertThat(storeUnlessSeen(d, batch("s", 3, 3 + BatchDedupe.MAX_ABOVE * 2))).isFalse();
    assertThat(storeUnlessSeen(d, batch("s", 5000, 5000))).isTrue();
  }

  @Test
  void theNumberOfStreamsIsBounded() {
    BatchDedupe d = new BatchDedupe();
    for (int i = 0; i < BatchDedupe.MAX_STREAMS + 100; i++) {
      storeUnlessSeen(d, batch("s" + i, 1, 1));
    }
    assertThat(d.streams()).isEqualTo(BatchDedupe.MAX_STREAMS);
    assertThat(storeUnlessSeen(d, batch("s" + (BatchDedupe.MAX_STREAMS + 99), 1, 1))).as("recent: remembered").isFalse();
  }

  @Test
  void batchesWithoutAStreamAreNeverDuplicates() {
    BatchDedupe d = new BatchDedupe();
    AccessLogBatch anonymous = new AccessLogBatch(List.of());
    assertThat(storeUnlessSeen(d, anonymous)).isTrue();
    assertThat(storeUnlessSeen(d, anonymous)).isTrue();
  }
}
