package dev.kasoku.common.testing;

import java.util.ArrayList;
import java.util.List;

/**
 * Free loopback ports for tests that must name a port before something binds it (a Hazelcast
 * member list, a child process's config): {@link dev.kasoku.common.net.FreePorts#probe}, so the
 * numbers lie below the ephemeral range, where no outgoing connection or port-0 bind can take them
 * before the test binds them, and no number repeats in one JVM. Prefer binding port 0 when the
 * thing under test can report its actual port.
 */
public final class FreePorts {
  private FreePorts() {}

  public static int take() {
    return dev.kasoku.common.net.FreePorts.probe("127.0.0.1");
  }

  /** One free port (same as {@link #take()}). */
  public static int next() {
    return take();
  }

  public static List<Integer> take(int count) {
    List<Integer> ports = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      ports.add(take());
    }
    return ports;
  }
}
