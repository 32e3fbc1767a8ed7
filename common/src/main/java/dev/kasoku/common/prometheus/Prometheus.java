package dev.kasoku.common.prometheus;

import dev.kasoku.common.http.ApiException;
import dev.kasoku.common.http.Problems;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.shareddata.Shareable;
import io.vertx.ext.web.Router;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.vertx.micrometer.impl.MicrometerMetrics;
import io.vertx.core.spi.metrics.MetricsProvider;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.EnumSet;
import java.util.Set;
import java.util.Map;
import java.util.UUID;
import java.util.WeakHashMap;

/**
 * The process's Prometheus exposition for SREs: every Kasoku Vert.x is built with Vert.x's Micrometer
 * metrics (HTTP servers and clients, event bus, pools, and the JVM) recorded into a registry of its
 * own, which {@link #mount} serves as {@code GET /metrics} on the API port. The HTTP servers' request
 * series are recorded by {@link HttpServerMeters} (same series, meters looked up once instead of per
 * request: {@link MetricsFactory}).
 *
 * <p><b>Bounded cardinality.</b> Only labels with a bounded set of values are kept: HTTP method and
 * status code, the local listener address, event-bus address, side and failure, pool type and name.
 * The remote address (an origin's host, which is the tenant's), the request path and the route are
 * never labels, so the number of series does not grow with tenants, sites or URLs; nothing in the
 * exposition names a tenant.
 *
 * <p>Each Vert.x gets a registry under a unique name, so several Vert.x instances in one JVM (tests)
 * never share or close each other's meters. Kasoku's own meters ({@code kasoku_*}) are recorded into
 * the same registry: a component finds it with {@link #registry(Vertx)} from the Vert.x it runs on.
 */
public final class Prometheus {
  /** Where the exposition is served on the API port. */
  public static final String PATH = "/metrics";
  private static final EnumSet<Label> LABELS = EnumSet.of(Label.HTTP_METHOD, Label.HTTP_CODE, Label.LOCAL,
      Label.EB_ADDRESS, Label.EB_SIDE, Label.EB_FAILURE, Label.POOL_TYPE, Label.POOL_NAME);

  private static final Set<String> UNCONVENTIONAL = Set.of("jvm.compilation.time", "process.cpu.time",
      "system.cpu.count");

  private static final String LOCAL_MAP = "kasoku.prometheus";
  /** Registries of Vert.x instances built without metrics (tests), so their meters are still counted. */
  private static final Map<Vertx, MeterRegistry> UNEXPORTED = new WeakHashMap<>();

  private Prometheus() {}

  /** Makes {@code registry} the one {@link #registry(Vertx)} returns for {@code vertx}. */
  public static void attach(Vertx vertx, MeterRegistry registry) {
    vertx.sharedData().<String, Holder>getLocalMap(LOCAL_MAP).put("registry", new Holder(registry));
  }


  private record Holder(MeterRegistry registry) implements Shareable {}

  /**
   * The registry a service registers Kasoku's own meters in: the one {@link #attach}ed to this
   * Vert.x or the one {@link #instrument} gave it (so they appear in {@code /metrics} next to
   * Vert.x's), or, for a Vert.x built without metrics, one registry of its own that nothing exports
   * (tests read it).
   */
  public static MeterRegistry registry(Vertx vertx) {
    Holder h = vertx.sharedData().<String, Holder>getLocalMap(LOCAL_MAP).get("registry");
    if (h != null) {
      return h.registry;
    }
    if (vertx instanceof MetricsProvider p && p.getMetrics() instanceof MicrometerMetrics m) {
      return m.registry();
    }
    synchronized (UNEXPORTED) {
      return UNEXPORTED.computeIfAbsent(vertx, v -> new SimpleMeterRegistry());
    }
  }

  /**
   * The registry a service registers Kasoku's own meters in: the one {@link #instrument} gave this
   * Vert.x (so they appear in {@code /metrics} next to Vert.x's), or, for a Vert.x built without
   * metrics, one registry of its own that nothing exports (tests read it).
   */
  public static MeterRegistry registryOf(Vertx vertx) {
    if (vertx instanceof MetricsProvider p && p.getMetrics() instanceof MicrometerMetrics m) {
      return m.registry();
    }
    synchronized (UNEXPORTED) {
      return UNEXPORTED.computeIfAbsent(vertx, v -> new SimpleMeterRegistry());
    }
  }

  /**
   * A fresh registry for one Vert.x. Three of Micrometer's JVM meters are left out because their
   * Prometheus names break the naming conventions ({@code promtool check metrics}): compilation time
   * and process CPU time in abbreviated units ({@code _ms_total}, {@code _ns_total}) and a gauge
   * ending in {@code _count}; {@code process_cpu_usage} and {@code system_cpu_usage} remain.
   */
  public static PrometheusMeterRegistry newRegistry() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().meterFilter(MeterFilter.deny(id -> UNCONVENTIONAL.contains(id.getName())));
    return registry;
  }

  /** {@code options} with Vert.x metrics on (bounded labels, JVM metrics) and the builder recording into {@code registry}. */
  public static VertxBuilder instrument(VertxBuilder builder, VertxOptions options, PrometheusMeterRegistry registry) {
    options.setMetricsOptions(metricsOptions());
    return builder.with(options).withMetrics(new MetricsFactory(registry));
  }

  /** Vert.x's metrics as {@link #instrument} configures them: bounded labels, JVM metrics, a registry name of their own. */
  static MicrometerMetricsOptions metricsOptions() {
    return new MicrometerMetricsOptions()
        .setEnabled(true)
        .setJvmMetricsEnabled(true)
        .setLabels(LABELS)
        .setRegistryName("kasoku-" + UUID.randomUUID());
  }

  /**
   * Serves the registry at {@link #PATH} on {@code router}; with a {@code token}, only to a request
   * carrying {@code Authorization: Bearer <token>} (others get a 401 problem).
   */
  public static void mount(Router router, PrometheusMeterRegistry registry, String token) {
    byte[] expected = token == null ? null : ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
    router.get(PATH).handler(ctx -> {
      if (expected != null) {
        String given = ctx.request().getHeader("Authorization");
        if (given == null || !MessageDigest.isEqual(expected, given.getBytes(StandardCharsets.UTF_8))) {
          Problems.send(ctx, ApiException.unauthorized("/metrics needs the bearer token of KASOKU_METRICS_TOKEN"));
          return;
        }
      }
      ctx.next();
    }).handler(PrometheusScrapingHandler.create(registry));
  }
}
