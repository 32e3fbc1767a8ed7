package dev.kasoku.cacheedge.engine;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The caps on concurrent client connections, shared by every listener instance of the process.
 *
 * <p>Without them one client can open connections until the process runs out of file descriptors,
 * and from then on every accept fails and every origin connection the edge needs for the requests
 * it already has fails with it: established clients stop being served too. Two bounds:
 * <ul>
 *   <li>per client address ({@code maxPerClient}): one address cannot take more than its share.
 *       Addresses of {@code KASOKU_TRUSTED_PROXIES} are exempt, since every client behind such a
 *       proxy arrives from its address;</li>
 *   <li>for the process ({@code maxTotal}), below the open-file limit, so that the descriptors the
 *       edge needs for origin connections, the store and the cluster are always there.</li>
 * </ul>
 * A connection past either cap is answered at once ({@code 429} past the per-client cap,
 * {@code 503} past the global one, both with {@code Retry-After: 1} and {@code Connection: close})
 * and closed, without reading a request: it costs the edge one accept and one short write.
 *
 * <p>Counts change on accept and close, on any event loop, hence the atomics; a per-client entry
 * is removed when its count drops to zero, so the map holds only addresses with open connections.
 */
public final class ConnectionLimits {
  /** What {@link #admit} decided. */
  public enum Verdict { ADMIT, CLIENT_FULL, EDGE_FULL }

  private final int maxPerClient;
  private final int maxTotal;
  private final AtomicInteger total = new AtomicInteger();
  private final ConcurrentHashMap<String, Integer> perClient = new ConcurrentHashMap<>();
  private final AtomicLong refusedPerClient = new AtomicLong();
  private final AtomicLong refusedTotal = new AtomicLong();

  public ConnectionLimits(int maxPerClient, int maxTotal) {
    this.maxPerClient = maxPerClient;
    this.maxTotal = maxTotal;
  }

  /** Counts a new connection from {@code client} unless a cap is reached; exempt clients skip the per-client cap. */
  public Verdict admit(String client, boolean exempt) {
    if (!exempt) {
      int n = perClient.merge(client, 1, Integer::sum);
      if (n > maxPerClient) {
        releaseClient(client);
        refusedPerClient.incrementAndGet();
        return Verdict.CLIENT_FULL;
      }
    }
    if (total.incrementAndGet() > maxTotal) {
      total.decrementAndGet();
      if (!exempt) {
        releaseClient(client);
      }
      refusedTotal.incrementAndGet();
      return Verdict.EDGE_FULL;
    }
    return Verdict.ADMIT;
  }

  /** A connection {@link #admit}ted with the same arguments closed. */
  public void release(String client, boolean exempt) {
    total.decrementAndGet();
    if (!exempt) {
      releaseClient(client);
    }
  }

  private void releaseClient(String client) {
    perClient.computeIfPresent(client, (k, n) -> n <= 1 ? null : n - 1);
  }

  /** Client connections open now. */
  public int open() {
    return total.get();
  }

  /** Connections open now from one address. */
  public int openFrom(String client) {
    return perClient.getOrDefault(client, 0);
  }

  /** Connections refused since start because their address was at its cap. */
  public long refusedPerClient() {
    return refusedPerClient.get();
  }

  /** Connections refused since start because the process was at its cap. */
  public long refusedTotal() {
    return refusedTotal.get();
  }

  public int maxTotal() {
    return maxTotal;
  }

  public int maxPerClient() {
    return maxPerClient;
  }
}
