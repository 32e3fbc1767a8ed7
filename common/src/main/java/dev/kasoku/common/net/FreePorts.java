package dev.kasoku.common.net;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A free port number found by binding port 0 on a host and closing the probe at once, for a server
 * that must be told its port before it binds (several instances of one listener binding one port, or
 * a listener that must not share a port-0 listener of its deployment).
 *
 * <p>The system may hand a just-closed number out again to the next probe, before the caller has
 * bound it; two Vert.x servers of one process on one port then share one listener, and a request
 * meant for one is answered by the other. So a probe never returns a number it returned before in
 * this process: the numbers handed out are remembered (a process probes a handful of ports, so the
 * set stays small). Another process can still take the port between the probe and the bind; the
 * bind then fails, it does not share.
 */
public final class FreePorts {
  /** Probes before giving up: the system's ephemeral range holds thousands of free numbers. */
  private static final int ATTEMPTS = 100;
  private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

  private FreePorts() {}

  /** A port that was free on {@code host} a moment ago and that no earlier call in this process returned. */
  public static int probe(String host) {
    for (int i = 0; i < ATTEMPTS; i++) {
      int p = bindAndClose(host);
      if (HANDED_OUT.add(p)) {
        return p;
      }
    }
    throw new IllegalStateException("no free port on " + host + " that was not handed out already");
  }

  private static int bindAndClose(String host) {
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName(host))) {
      return probe.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port on " + host, e);
    }
  }
}
