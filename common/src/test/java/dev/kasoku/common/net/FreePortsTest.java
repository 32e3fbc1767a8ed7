package dev.kasoku.common.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FreePortsTest {
  /**
   * A probe closes its socket at once, so the system may hand the same number to the next probe; an
   * edge's HTTP, TLS and peer listeners (and those of other edges in one process) probed one after
   * the other could then be given one port and share one listener. 2,000 probes of a range of about
   * 28,000 numbers repeat one with near certainty when nothing prevents it.
   */
  @Test
  void aProbeNeverReturnsANumberAnEarlierProbeReturned() {
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < 2_000; i++) {
      int p = FreePorts.probe("127.0.0.1");
      assertThat(seen.add(p)).as("probe %d returned %d again", i, p).isTrue();
      assertThat(p).isBetween(1, 65_535);
    }
  }
}
