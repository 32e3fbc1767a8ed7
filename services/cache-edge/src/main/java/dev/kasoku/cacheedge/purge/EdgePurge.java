package dev.kasoku.cacheedge.purge;

import dev.kasoku.cacheedge.sites.SiteTable;
import dev.kasoku.cacheedge.storage.Storage;
import dev.kasoku.common.store.PurgeLog;
import dev.kasoku.common.time.Ticker;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;

/**
 * What the cache-edge verticle installs for purge: the storage wrapped in the no-resurrection
 * {@link PurgeGuard} before the engine uses it, and the {@link PurgeAgent} deployed next to the
 * listeners (it applies the purge log to that storage, acks, and announces the edge).
 */
public final class EdgePurge {
  private final PurgeLog log;
  private final Clock clock;
  private final Ticker ticker;
  private final String node;
  private final PurgeGuard guard;
  private final GuardedStorage storage;
  private final PurgeAgent.Settings settings;
  private volatile PurgeAgent agent;

  public EdgePurge(PurgeLog log, Clock clock, String node, Storage storage) {
    this(log, clock, Ticker.system(), node, storage, PurgeAgent.Settings.defaults());
  }

  public EdgePurge(PurgeLog log, Clock clock, String node, Storage storage, PurgeAgent.Settings settings) {
    this(log, clock, Ticker.system(), node, storage, settings);
  }

  /** @param ticker measures how long applying a purge takes */
  public EdgePurge(PurgeLog log, Clock clock, Ticker ticker, String node, Storage storage,
                   PurgeAgent.Settings settings) {
    this.log = log;
    this.clock = clock;
    this.ticker = ticker;
    this.node = node;
    this.guard = new PurgeGuard(clock);
    this.storage = new GuardedStorage(storage, guard);
    this.settings = settings;
  }

  /** The storage the engine must use (the given one behind the guard). */
  public Storage storage() {
    return storage;
  }

  /** The purges this edge applied, with their times (also asked about copies other edges answer with). */
  public PurgeGuard guard() {
    return guard;
  }

  /** Deploys the purge agent; completes once it has read the log position and subscribed. */
  public Future<String> deploy(Vertx vertx, SiteTable sites) {
    agent = new PurgeAgent(log, storage, guard, new SiteUrlKeys(sites), node, clock, ticker, settings);
    return vertx.deployVerticle(agent);
  }

  /** The running agent (null before {@link #deploy}). */
  public PurgeAgent agent() {
    return agent;
  }
}
