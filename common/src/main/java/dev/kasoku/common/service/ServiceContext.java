package dev.kasoku.common.service;

import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.http.Health;
import dev.kasoku.common.store.Store;
import io.vertx.ext.web.Router;
import java.time.Clock;
import java.util.Objects;

/**
 * What the launcher hands every service verticle: the validated config, the process's one store,
 * the shared health registry, the control-plane API router to mount routes on (one router per
 * process: every role this process runs serves on the same API port), and the clock to use.
 */
public record ServiceContext(KasokuConfig config, Store store, Health health, Router apiRouter, Clock clock) {
  public ServiceContext {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(health, "health");
    Objects.requireNonNull(apiRouter, "apiRouter");
    Objects.requireNonNull(clock, "clock");
  }
}
