package dev.kasoku.cacheedge.purge;

import dev.kasoku.cacheedge.sites.SiteTable;
import dev.kasoku.cacheedge.storage.Storage;
import dev.kasoku.common.service.ServiceContext;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * What the cache-edge verticle installs for purge, in two lines: wrap the storage in the
 * no-resurrection guard before the engine uses it, then deploy the purge agent next to the listeners.
 */
public final class EdgePurge {
  private final ServiceContext ctx;
  private final PurgeGuard guard;
  private final GuardedStorage storage;
  private final PurgeAgent.Settings settings;
  private PurgeAgent agent;

  public EdgePurge(ServiceContext ctx, Storage storage) {
    this(ctx, storage, PurgeAgent.Settings.defaults());
  }

  public EdgePurge(ServiceContext ctx, Storage storage, PurgeAgent.Settings settings) {
    this.ctx = ctx;
    this.guard = new PurgeGuard(ctx.clock());
    this.storage = new GuardedStorage(storage, guard);
    this.settings = settings;
  }

  /** The storage the engine must use (the given one behind the guard). */
  public Storage storage() {
    return storage;
  }

  /** Deploys the purge agent; completes once it has read the log position and subscribed. */
  public Future<String> deploy(Vertx vertx, SiteTable sites) {
    agent = new PurgeAgent(ctx.store().purgeLog(), storage, guard, new SiteUrlKeys(sites), ctx.config().nodeId(),
        ctx.clock(), settings);
    return vertx.deployVerticle(agent);
  }

  /** The running agent (null before {@link #deploy}). */
  public PurgeAgent agent() {
    return agent;
  }
}
