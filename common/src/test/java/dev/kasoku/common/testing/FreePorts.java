package dev.kasoku.common.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/**
 * Free loopback ports for tests that must name a port before something binds it (a Hazelcast
 * member list, a child process's config). The sockets are held open until all ports are chosen,
 * so one call never returns the same port twice; a port can still be taken by another process
 * between this call and the bind, which is rare enough on loopback. Prefer binding port 0 when the
 * thing under test can report its actual port.
 */
public final class FreePorts {
  private FreePorts() {}

  public static int take() {
    return take(1).get(0);
  }

  /** One free port (the store branch's name for {@link #take()}). */
  public static int next() {
    return take();
  }

  public static List<Integer> take(int count) {
    List<ServerSocket> held = new ArrayList<>();
    try {
      List<Integer> ports = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        s.setReuseAddress(true);
        held.add(s);
        ports.add(s.getLocalPort());
      }
      return ports;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      for (ServerSocket s : held) {
        try {
          s.close();
        } catch (IOException ignored) {
          // closing a listening socket we own does not fail in practice
        }
      }
    }
  }
}
