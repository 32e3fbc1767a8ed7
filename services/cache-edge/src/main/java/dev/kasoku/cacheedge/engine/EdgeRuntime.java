package dev.kasoku.cacheedge.engine;

import dev.kasoku.cacheedge.EdgeSettings;
import dev.kasoku.cacheedge.origin.OriginGuard;
import dev.kasoku.cacheedge.origin.OriginHealth;
import dev.kasoku.cacheedge.sites.SiteTable;
import dev.kasoku.cacheedge.storage.Storage;
import dev.kasoku.cacheedge.telemetry.LogShipping;
import dev.kasoku.common.net.Cidr;
import dev.kasoku.common.time.Ticker;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What every edge server verticle of a process shares, created once by the entry verticle and
 * handed to each instance (a resource created for sharing: verticles share nothing else but the bus and the store): the storage, the
 * routing table, origin health, the collapsing table, the SSRF guard, the clock (instants) and the
 * ticker (durations), the connection caps, the routing of misses to their owner edge ({@link PeerRouting}). Everything in here is thread-safe; per-verticle state (origin connection pools, telemetry
 * batches) lives in the verticle.
 */
public record EdgeRuntime(EdgeSettings settings, Storage storage, SiteTable sites, OriginHealth health,
                          Collapser collapser, OriginGuard guard, Clock clock, Ticker ticker, LogShipping logs,
                          AtomicLong originRequests, ConnectionLimits connectionLimits,
                          PeerRouting peers) {

  public EdgeRuntime(EdgeSettings settings, Storage storage, SiteTable sites, Clock clock, Ticker ticker,
                     LogShipping logs) {
    this(settings, storage, sites, new OriginHealth(clock, settings.originDownMs()), new Collapser(),
        new OriginGuard(settings.allowedOriginNetworks()), clock, ticker, logs, new AtomicLong(),
        new ConnectionLimits(settings.connections().maxPerClient(), settings.connections().maxTotal()),
        new PeerRouting(ticker));
  }

  /** True when the peer's own X-Forwarded-For / Forwarded may be believed. */
  public boolean trustedProxy(String peerIp) {
    if (settings.trustedProxies().isEmpty() || peerIp == null) {
      return false;
    }
    for (Cidr c : settings.trustedProxies()) {
      if (c.contains(peerIp)) {
        return true;
      }
    }
    return false;
  }

  /** The same shared state with the listener port fixed (instances after the first bind it). */
  public EdgeRuntime withPort(int port) {
    EdgeSettings p = settings.withPort(port);
    return new EdgeRuntime(p, storage, sites, health, collapser, guard, clock, ticker, logs, originRequests,
        connectionLimits, peers);
  }
}
