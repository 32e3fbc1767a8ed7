package dev.kasoku.common.prometheus;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.observability.HttpRequest;
import io.vertx.core.spi.observability.HttpResponse;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MetricsNaming;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * One HTTP server's request meters, the series Vert.x's Micrometer metrics record
 * ({@code vertx_http_server_requests_total}, {@code _response_time_seconds}, {@code _request_bytes},
 * {@code _response_bytes}, {@code _active_requests}, {@code _request_resets_total}: same names, labels,
 * descriptions and meter types), with every meter looked up once and kept.
 *
 * <p><b>Why.</b> Vert.x 5.0's {@code VertxHttpServerMetrics} builds the tags of each request again
 * and finds each of its five meters in the registry by them ({@code Tags.and}, {@code Meter.Id.hashCode},
 * {@code registerMeterIfNecessary}) on every request: about 13% of the edge's event-loop CPU on
 * pass-through. Here a request finds its method's meters in a map keyed by the {@link HttpMethod}
 * and its status code's in an array, both filled on first use. The labels are the ones Kasoku keeps
 * (local address, method, status code; see {@link Prometheus}); {@link MetricsFactory} uses Vert.x's
 * own implementation whenever another request label is configured.
 *
 * <p>Connection-level meters (active connections, bytes read and written, errors, WebSockets) stay
 * Vert.x's: this class hands those calls to {@code connections}, Vert.x's instance for the same server.
 */
final class HttpServerMeters implements HttpServerMetrics<HttpServerMeters.Request, Object, Object> {
  private static final int CODES = 1000;
  private static final String METHOD = Label.HTTP_METHOD.toString();
  private static final String CODE = Label.HTTP_CODE.toString();

  private final HttpServerMetrics<Object, Object, Object> connections;
  private final MeterRegistry registry;
  private final MetricsNaming names;
  private final Tags local;
  private final boolean methodLabel;
  private final boolean codeLabel;
  /** Active-request counts by gauge (local address and method), shared by every server of the registry. */
  private final ConcurrentMap<String, LongAdder> activeByGauge;
  private final ConcurrentMap<HttpMethod, ByMethod> byMethod = new ConcurrentHashMap<>();

  @SuppressWarnings("unchecked")
  HttpServerMeters(HttpServerMetrics<?, ?, ?> connections, MeterRegistry registry, MetricsNaming names,
                   SocketAddress localAddress, boolean localLabel, boolean methodLabel, boolean codeLabel,
                   ConcurrentMap<String, LongAdder> activeByGauge) {
    this.connections = (HttpServerMetrics<Object, Object, Object>) connections;
    this.registry = registry;
    this.names = names;
    this.local = localLabel
        ? Tags.of(Label.LOCAL.toString(), io.vertx.micrometer.impl.tags.Labels.address(localAddress))
        : Tags.empty();
    this.methodLabel = methodLabel;
    this.codeLabel = codeLabel;
    this.activeByGauge = activeByGauge;
  }

  /** The meters of one method; those of each status code filled on first use. */
  private final class ByMethod {
    final Tags tags;
    final LongAdder active;
    final DistributionSummary requestBytes;
    final AtomicReferenceArray<ByCode> byCode = new AtomicReferenceArray<>(CODES);

    ByMethod(HttpMethod method) {
      tags = methodLabel ? local.and(METHOD, method.toString()) : local;
      String gauge = names.getHttpActiveRequests() + tags;
      active = activeByGauge.computeIfAbsent(gauge, g -> {
        LongAdder adder = new LongAdder();
        Gauge.builder(names.getHttpActiveRequests(), adder, LongAdder::doubleValue)
            .description("Number of requests being processed").tags(tags).register(registry);
        return adder;
      });
      requestBytes = DistributionSummary.builder(names.getHttpRequestBytes()).description("Size of requests in bytes")
          .tags(tags).register(registry);
    }

    ByCode code(int status) {
      if (status < 0 || status >= CODES) {
        return new ByCode(this, status);
      }
      ByCode c = byCode.get(status);
      if (c == null) {
        c = new ByCode(this, status);
        byCode.set(status, c); // a race registers the same meters twice: the registry returns the same ones
      }
      return c;
    }
  }

  private final class ByCode {
    final Counter requests;
    final Timer time;
    final DistributionSummary responseBytes;

    ByCode(ByMethod m, int status) {
      Tags tags = codeLabel ? m.tags.and(CODE, String.valueOf(status)) : m.tags;
      requests = Counter.builder(names.getHttpRequestsCount()).description("Number of processed requests")
          .tags(tags).register(registry);
      time = Timer.builder(names.getHttpResponseTime()).description("Request processing time")
          .tags(tags).register(registry);
      responseBytes = DistributionSummary.builder(names.getHttpResponseBytes())
          .description("Size of responses in bytes").tags(tags).register(registry);
    }
  }

  /** One request's state, as Vert.x keeps it: active until both sides ended or it was reset. */
  static final class Request {
    final ByMethod meters;
    final long start;
    boolean requestEnded;
    boolean responseEnded;
    boolean reset;

    private Request(ByMethod meters, long start) {
      this.meters = meters;
      this.start = start;
    }
  }

  private Request begin(HttpMethod method) {
    ByMethod m = byMethod.get(method);
    if (m == null) {
      m = byMethod.computeIfAbsent(method, ByMethod::new);
    }
    m.active.increment();
    return new Request(m, registry.config().clock().monotonicTime());
  }

  @Override
  public Request requestBegin(Object socketMetric, HttpRequest request) {
    return begin(request.method());
  }

  @Override
  public void requestEnd(Request r, HttpRequest request, long bytesRead) {
    r.meters.requestBytes.record(bytesRead);
    r.requestEnded = true;
    if (!r.reset && r.responseEnded) {
      r.meters.active.decrement();
    }
  }

  @Override
  public void requestReset(Request r) {
    // looked up when needed, as Vert.x does: the series appears with the first reset
    Counter.builder(names.getHttpRequestResetsCount()).description("Number of request resets")
        .tags(r.meters.tags).register(registry).increment();
    r.meters.active.decrement();
    r.reset = true;
  }

  @Override
  public Request responsePushed(Object socketMetric, HttpMethod method, String uri, HttpResponse response) {
    return begin(method);
  }

  @Override
  public void responseEnd(Request r, HttpResponse response, long bytesWritten) {
    ByCode c = r.meters.code(response.statusCode());
    c.requests.increment();
    c.time.record(registry.config().clock().monotonicTime() - r.start, TimeUnit.NANOSECONDS);
    c.responseBytes.record(bytesWritten);
    r.responseEnded = true;
    if (!r.reset && r.requestEnded) {
      r.meters.active.decrement();
    }
  }

  @Override
  public Object connected(Object socketMetric, Request request, ServerWebSocket webSocket) {
    return connections.connected(socketMetric, null, webSocket); // Vert.x's counts by connection only
  }

  @Override
  public void disconnected(Object webSocketMetric) {
    connections.disconnected(webSocketMetric);
  }

  @Override
  public Object connected(SocketAddress remoteAddress, String remoteName) {
    return connections.connected(remoteAddress, remoteName);
  }

  @Override
  public void disconnected(Object socketMetric, SocketAddress remoteAddress) {
    connections.disconnected(socketMetric, remoteAddress);
  }

  @Override
  public void bytesRead(Object socketMetric, SocketAddress remoteAddress, long numberOfBytes) {
    connections.bytesRead(socketMetric, remoteAddress, numberOfBytes);
  }

  @Override
  public void bytesWritten(Object socketMetric, SocketAddress remoteAddress, long numberOfBytes) {
    connections.bytesWritten(socketMetric, remoteAddress, numberOfBytes);
  }

  @Override
  public void exceptionOccurred(Object socketMetric, SocketAddress remoteAddress, Throwable t) {
    connections.exceptionOccurred(socketMetric, remoteAddress, t);
  }

  @Override
  public void close() {
    connections.close();
  }
}
