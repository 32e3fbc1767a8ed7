package dev.kasoku.common.service;

import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.http.Health;
import dev.kasoku.common.store.Store;
import dev.kasoku.common.api.ApiRouter;
import java.time.Clock;
import java.util.Objects;

/**
 * What the launcher hands every service verticle: the validated config, the process's one store,
 * the shared health registry, the control-plane API (contract operations to attach handlers to) (one router per
 * process: every role this process runs serves on the same API port), and the clock to use.
 *
 * <p>Constructing it binds the API's access gate to this config, store and clock
 * ({@link ApiRouter#bindAccessControl}): every process that serves the API verifies requests, and
 * {@link ApiRouter#build()} refuses to build an unguarded router.
 */
public record ServiceContext(KasokuConfig config, Store store, Health health, ApiRouter api, Clock clock) {
  public ServiceContext {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(health, "health");
    Objects.requireNonNull(api, "api");
    Objects.requireNonNull(clock, "clock");
    api.bindAccessControl(config, store, clock);
  }
}
