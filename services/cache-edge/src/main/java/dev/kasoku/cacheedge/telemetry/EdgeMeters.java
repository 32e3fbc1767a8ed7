package dev.kasoku.cacheedge.telemetry;

import dev.kasoku.cacheedge.origin.OriginException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The edge's per-request Prometheus meters, for SREs (the per-tenant series are the metrics service's
 * job): requests by cache status and status class, bytes to and from clients, edge and origin time,
 * origin failures by kind. No label names a tenant, site or URL.
 *
 * <p><b>Cheap on the hot path.</b> Every counter and timer is resolved once, when the meters are
 * built; recording a request indexes an array and adds to Micrometer's striped counters (no tag
 * lookup, no allocation). Micrometer returns the same meter for the same name and tags, so the
 * meters of every edge verticle of a process record into the same series.
 */
public final class EdgeMeters {
  /** The {@code cache_status} label values, as the access log spells them. */
  static final String[] CACHE_STATUSES = {"hit", "miss", "stale", "pass", "error"};
  /** The {@code status_class} label values; {@code other} for a status outside 100-599. */
  static final String[] STATUS_CLASSES = {"1xx", "2xx", "3xx", "4xx", "5xx", "other"};
  private static final Duration[] BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10),
      Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
      Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
      Duration.ofSeconds(10), Duration.ofSeconds(30)};

  private final Counter[] requests = new Counter[CACHE_STATUSES.length * STATUS_CLASSES.length];
  private final Counter sent;
  private final Counter received;
  private final Timer edgeTime;
  private final Timer originTime;
  private final Counter[] originErrors = new Counter[OriginException.Kind.values().length];

  public EdgeMeters(MeterRegistry registry) {
    for (int c = 0; c < CACHE_STATUSES.length; c++) {
      for (int s = 0; s < STATUS_CLASSES.length; s++) {
        requests[c * STATUS_CLASSES.length + s] = Counter.builder("kasoku.edge.requests")
            .description("Requests the edge answered, by cache status and response status class")
            .tag("cache_status", CACHE_STATUSES[c])
            .tag("status_class", STATUS_CLASSES[s])
            .register(registry);
      }
    }
    sent = Counter.builder("kasoku.edge.sent").baseUnit("bytes")
        .description("Response bytes the edge wrote to clients").register(registry);
    received = Counter.builder("kasoku.edge.received").baseUnit("bytes")
        .description("Request body bytes the edge read from clients").register(registry);
    edgeTime = Timer.builder("kasoku.edge.request")
        .description("Edge time of a request, from its arrival to its last byte")
        .serviceLevelObjectives(BUCKETS).register(registry);
    originTime = Timer.builder("kasoku.origin.request")
        .description("Origin time of the requests that went to an origin (failed ones included)")
        .serviceLevelObjectives(BUCKETS).register(registry);
    for (OriginException.Kind k : OriginException.Kind.values()) {
      originErrors[k.ordinal()] = Counter.builder("kasoku.origin.errors")
          .description("Origin requests that got no usable response, by kind")
          .tag("kind", k.name().toLowerCase(Locale.ROOT))
          .register(registry);
    }
  }

  /** One finished request, as its access-log record describes it. */
  void request(String cacheStatus, int status, long bytesOut, long bytesIn, long totalMs, long originMs,
               boolean originContacted) {
    int c = switch (cacheStatus) {
      case "hit" -> 0;
      case "miss" -> 1;
      case "stale" -> 2;
      case "pass" -> 3;
      default -> 4;
    };
    int cls = status / 100;
    int s = cls >= 1 && cls <= 5 ? cls - 1 : STATUS_CLASSES.length - 1;
    requests[c * STATUS_CLASSES.length + s].increment();
    if (bytesOut > 0) {
      sent.increment(bytesOut);
    }
    if (bytesIn > 0) {
      received.increment(bytesIn);
    }
    edgeTime.record(totalMs, TimeUnit.MILLISECONDS);
    if (originContacted) {
      originTime.record(originMs, TimeUnit.MILLISECONDS);
    }
  }

  /** An origin request that got no usable response. */
  void originFailed(OriginException.Kind kind) {
    originErrors[kind.ordinal()].increment();
  }
}
