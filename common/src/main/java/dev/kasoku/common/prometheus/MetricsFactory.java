package dev.kasoku.common.prometheus;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.metrics.MetricsOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.metrics.VertxMetrics;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.backends.BackendRegistries;
import io.vertx.micrometer.backends.BackendRegistry;
import io.vertx.micrometer.impl.MicrometerMetrics;
import io.vertx.micrometer.impl.VertxMetricsImpl;
import io.vertx.micrometer.impl.meters.LongGauges;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Vert.x's Micrometer metrics, as {@link MicrometerMetricsFactory} builds them, except that each HTTP
 * server's request meters are {@link HttpServerMeters} (looked up once, not per request) whenever
 * the configured labels allow it: no remote address, path or route label and no custom request tags,
 * which is how {@link Prometheus#instrument} configures them. The series and their names are the
 * same either way; everything else (event bus, pools, clients, connections, JVM) is Vert.x's.
 *
 * <p>Built on {@code io.vertx.micrometer.impl.VertxMetricsImpl}, the class the stock factory
 * returns, so the rest of Vert.x and {@link Prometheus#registry} see the same type. Checked against
 * vertx-micrometer-metrics 5.0.7; {@code HttpServerMetersTest} compares the exposition of both
 * factories series by series, so an upgrade that changes Vert.x's series fails there.
 */
final class MetricsFactory extends MicrometerMetricsFactory {
  private final MeterRegistry registry;

  MetricsFactory(MeterRegistry registry) {
    super(registry);
    this.registry = registry;
  }

  @Override
  public VertxMetrics metrics(VertxOptions options) {
    MetricsOptions given = options.getMetricsOptions();
    MicrometerMetricsOptions micrometer = given instanceof MicrometerMetricsOptions m
        ? m : new MicrometerMetricsOptions(given.toJson());
    BackendRegistry backend = BackendRegistries.setupBackend(micrometer, registry);
    Shared shared;
    synchronized (SHARED) {
      shared = SHARED.computeIfAbsent(backend.getMeterRegistry(), r -> new Shared());
    }
    Metrics metrics = new Metrics(micrometer, backend, shared);
    metrics.init();
    return metrics;
  }

  /**
   * What the Vert.x instances recording into one registry share, as the stock factory shares its
   * gauges: each gauge has one count, whichever instance or server moves it.
   */
  private static final class Shared {
    final ConcurrentMap<Meter.Id, LongAdder> longGauges = new ConcurrentHashMap<>();
    final ConcurrentMap<String, LongAdder> activeByGauge = new ConcurrentHashMap<>();
  }

  private static final Map<MeterRegistry, Shared> SHARED = new WeakHashMap<>();

  private static final class Metrics extends VertxMetricsImpl {
    private final boolean cached;
    private final ConcurrentMap<String, LongAdder> activeByGauge;

    Metrics(MicrometerMetricsOptions options, BackendRegistry backend, Shared shared) {
      super(options, backend, new LongGauges(shared.longGauges));
      this.activeByGauge = shared.activeByGauge;
      this.cached = options.getServerRequestTagsProvider() == null
          && !enabledLabels.contains(Label.REMOTE)
          && !enabledLabels.contains(Label.HTTP_PATH)
          && !enabledLabels.contains(Label.HTTP_ROUTE);
    }

    @Override
    public HttpServerMetrics<?, ?, ?> createHttpServerMetrics(HttpServerOptions options, SocketAddress localAddress) {
      HttpServerMetrics<?, ?, ?> stock = super.createHttpServerMetrics(options, localAddress);
      if (stock == null || !cached || !(stock instanceof MicrometerMetrics m)) {
        return stock;
      }
      return new HttpServerMeters(stock, registry, names.withBaseName(m.baseName()), localAddress,
          enabledLabels.contains(Label.LOCAL), enabledLabels.contains(Label.HTTP_METHOD),
          enabledLabels.contains(Label.HTTP_CODE), activeByGauge);
    }
  }
}
