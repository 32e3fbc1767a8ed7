package dev.kasoku.common.http;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Liveness and readiness. {@code /healthz} answers 200 while the process can serve HTTP at all.
 * {@code /readyz} runs every registered check (store reachable, cluster joined, listeners up...),
 * each bounded by a timeout, and answers 200 only when all pass; it answers 503 while draining
 * for shutdown so a load balancer stops sending new work before the listeners close.
 *
 * <p>One instance per process, shared by every service's router: checks are registered by the
 * launcher and the services and read from any event loop, hence the concurrent map.
 */
public final class Health {
  public static final long CHECK_TIMEOUT_MS = 2000;

  private final Map<String, Supplier<Future<?>>> checks = new ConcurrentHashMap<>();
  private volatile boolean draining;

  /** Adds (or replaces) a named readiness check. */
  public Health register(String name, Supplier<Future<?>> check) {
    checks.put(name, check);
    return this;
  }

  /** From now on /readyz answers 503: the process is shutting down. */
  public void drain() {
    draining = true;
  }

  public boolean draining() {
    return draining;
  }

  /** Mounts /healthz and /readyz on the router. */
  public void mount(Router router) {
    router.get("/healthz").handler(ctx -> json(ctx, 200, new JsonObject().put("status", "up")));
    router.get("/readyz").handler(this::ready);
  }

  /** Runs every check; completes with the report whether or not they pass. */
  public Future<JsonObject> report(Vertx vertx) {
    List<String> names = new ArrayList<>(checks.keySet());
    names.sort(String::compareTo);
    List<Future<String>> results = new ArrayList<>();
    for (String name : names) {
      Future<?> f;
      try {
        f = checks.get(name).get();
      } catch (RuntimeException e) {
        f = Future.failedFuture(e);
      }
      results.add(f.timeout(CHECK_TIMEOUT_MS, TimeUnit.MILLISECONDS)
          .map(v -> "up")
          .otherwise(e -> "down: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())));
    }
    return Future.join(results).transform(ignored -> {
      Map<String, Object> detail = new LinkedHashMap<>();
      boolean ok = !draining;
      for (int i = 0; i < names.size(); i++) {
        String r = results.get(i).result();
        detail.put(names.get(i), r);
        ok &= "up".equals(r);
      }
      JsonObject body = new JsonObject().put("status", ok ? "ready" : "not-ready");
      if (draining) {
        body.put("draining", true);
      }
      return Future.succeededFuture(body.put("checks", new JsonObject(detail)));
    });
  }

  private void ready(RoutingContext ctx) {
    report(ctx.vertx()).onSuccess(body ->
        json(ctx, "ready".equals(body.getString("status")) ? 200 : 503, body));
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store")
        .end(body.toBuffer());
  }
}
