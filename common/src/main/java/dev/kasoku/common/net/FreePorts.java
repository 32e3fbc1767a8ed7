package dev.kasoku.common.net;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** A free port number found by binding port 0 on a host and closing the probe at once. */
public final class FreePorts {
  private FreePorts() {}

  /**
   * A port that was free on {@code host} a moment ago. Until a server binds it, the system may hand
   * the same number out again to the next probe: callers that pick several compare them.
   */
  public static int probe(String host) {
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName(host))) {
      return probe.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port on " + host, e);
    }
  }
}
