package dev.kasoku.common.net;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A free port number for a server that must be told its port before it binds (several instances of
 * one listener binding one port, a listener that must not share a port-0 listener of its
 * deployment, a Hazelcast member list, a child process's config).
 *
 * <p>The number is drawn at random from below the system's ephemeral range
 * ({@code /proc/sys/net/ipv4/ip_local_port_range}; 32768 when it cannot be read) and checked by
 * binding it once. A number inside that range can be taken between the check and the real bind by
 * anything that binds port 0 or opens an outgoing connection: a Hazelcast member dialling the other
 * members of its list takes local ports from that range, and one of them was once the very port the
 * next member was about to listen on. Below the range only an explicit bind can take it.
 *
 * <p>A number is never handed out twice in one process, so listeners probed one after the other
 * never share one port. Another process that binds the same number between the check and the bind
 * makes that bind fail; it never shares a listener.
 */
public final class FreePorts {
  /** Lowest number handed out: clear of the well-known and most registered service ports. */
  static final int LOWEST = 10_000;
  private static final int ATTEMPTS = 500;
  private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();
  private static final int BELOW = ephemeralLow();

  private FreePorts() {}

  /** A port that was free on {@code host} a moment ago, outside the ephemeral range, and that no earlier call in this process returned. */
  public static int probe(String host) {
    InetAddress address;
    try {
      address = InetAddress.getByName(host);
    } catch (IOException e) {
      throw new IllegalArgumentException("not a host: " + host, e);
    }
    ThreadLocalRandom random = ThreadLocalRandom.current();
    for (int i = 0; i < ATTEMPTS; i++) {
      int p = random.nextInt(LOWEST, BELOW);
      if (!HANDED_OUT.contains(p) && bindable(address, p) && HANDED_OUT.add(p)) {
        return p;
      }
    }
    throw new IllegalStateException("no free port on " + host + " in " + LOWEST + ".." + (BELOW - 1)
        + " after " + ATTEMPTS + " tries");
  }

  /** The first number of the system's ephemeral range, or 32768 (Linux's default) if it cannot be read. */
  static int ephemeralLow() {
    try {
      String[] range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+");
      int low = Integer.parseInt(range[0]);
      // a range opened down to (nearly) LOWEST leaves no room below it: keep the default split then
      return low > LOWEST + 1_000 ? low : 32_768;
    } catch (IOException | RuntimeException e) {
      return 32_768;
    }
  }

  private static boolean bindable(InetAddress address, int port) {
    try (ServerSocket check = new ServerSocket(port, 1, address)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
