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
   * 22,000 numbers repeat one with near certainty when nothing prevents it.
   */
  @Test
  void aProbeNeverReturnsANumberAnEarlierProbeReturned() {
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < 2_000; i++) {
      int p = FreePorts.probe("127.0.0.1");
      assertThat(seen.add(p)).as("probe %d returned %d again", i, p).isTrue();
      assertThat(p).isBetween(FreePorts.LOWEST, FreePorts.ephemeralLow() - 1);
    }
  }

  /**
   * A number from the ephemeral range can be taken by any outgoing connection between the probe and
   * the bind (a Hazelcast member dialling its list did take the next member's port once); the probe
   * hands out numbers below that range, which only an explicit bind can take.
   */
  @Test
  void aProbeStaysBelowTheEphemeralRange() throws Exception {
    int low = FreePorts.ephemeralLow();
    assertThat(low).isGreaterThan(FreePorts.LOWEST);
    java.nio.file.Path range = java.nio.file.Path.of("/proc/sys/net/ipv4/ip_local_port_range");
    if (java.nio.file.Files.exists(range)) {
      int system = Integer.parseInt(java.nio.file.Files.readString(range).trim().split("\\s+")[0]);
      assertThat(low).isEqualTo(system > FreePorts.LOWEST + 1_000 ? system : 32_768);
    }
    for (int i = 0; i < 200; i++) {
      int p = FreePorts.probe("127.0.0.1");
      assertThat(p).isLessThan(low);
      try (java.net.ServerSocket s = new java.net.ServerSocket(p, 1, java.net.InetAddress.getLoopbackAddress())) {
        assertThat(s.getLocalPort()).isEqualTo(p);
      }
    }
  }
}
