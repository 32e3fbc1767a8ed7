package dev.kasoku.common.prometheus;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.testing.Await;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.net.SocketAddress;
import io.vertx.micrometer.MicrometerMetricsFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Kasoku's HTTP server request meters against Vert.x's own: the same traffic through a server of
 * each gives the same {@code vertx_http_server_*} exposition (names, HELP and TYPE lines, labels,
 * counts and byte sums; only the measured times differ).
 */
class HttpServerMetersTest {
  private final List<Vertx> started = new ArrayList<>();

  @AfterEach
  void close() {
    for (Vertx v : started) {
      Await.result(v.close());
    }
  }

  private Vertx kasoku(PrometheusMeterRegistry registry) {
    Vertx v = Prometheus.instrument(Vertx.builder(), new VertxOptions(), registry).build();
    started.add(v);
    return v;
  }

  private Vertx stock(PrometheusMeterRegistry registry) {
    Vertx v = Vertx.builder().with(new VertxOptions().setMetricsOptions(Prometheus.metricsOptions()))
        .withMetrics(new MicrometerMetricsFactory(registry)).build();
    started.add(v);
    return v;
  }

  /** Serves GET /ok (200, 5 bytes), POST /echo (201, the body back), anything else 404; returns the port. */
  private static int serve(Vertx vertx) {
    HttpServer server = vertx.createHttpServer().requestHandler(req -> {
      if (req.path().equals("/ok")) {
        req.response().end("hello");
      } else if (req.path().equals("/echo")) {
        req.body().onSuccess(b -> req.response().setStatusCode(201).end(b));
      } else {
        req.response().setStatusCode(404).end();
      }
    });
    return Await.result(server.listen(0, "127.0.0.1")).actualPort();
  }

  private static void traffic(Vertx vertx, int port) {
    HttpClient client = vertx.createHttpClient();
    for (int i = 0; i < 5; i++) {
      send(client, port, HttpMethod.GET, "/ok", null);
    }
    for (int i = 0; i < 3; i++) {
      send(client, port, HttpMethod.POST, "/echo", "body-" + i);
    }
    send(client, port, HttpMethod.DELETE, "/missing", null);
    send(client, port, HttpMethod.HEAD, "/ok", null);
    Await.result(client.close());
  }

  private static void send(HttpClient client, int port, HttpMethod method, String path, String body) {
    Future<Buffer> done = client.request(method, port, "127.0.0.1", path)
        .compose(req -> (body == null ? req.send() : req.send(body)).compose(HttpClientResponse::body));
    Await.result(done);
  }

  /** The server series of an exposition by line (sample lines keyed by name and labels, the port made neutral). */
  private static Map<String, String> serverSeries(PrometheusMeterRegistry registry, int port) {
    Map<String, String> out = new TreeMap<>();
    for (String line : registry.scrape().split("\n")) {
      String l = line.replace(":" + port, ":PORT");
      String bare = l.startsWith("# ") ? l.substring(l.indexOf(' ', 2) + 1) : l;
      if (!bare.startsWith("vertx_http_server_")) {
        continue;
      }
      if (l.startsWith("#")) {
        out.put(l, "");
        continue;
      }
      int space = l.lastIndexOf(' ');
      String key = l.substring(0, space);
      boolean measuredTime = key.startsWith("vertx_http_server_response_time_seconds_sum")
          || key.startsWith("vertx_http_server_response_time_seconds_max");
      out.put(key, measuredTime ? "(time)" : l.substring(space + 1));
    }
    return out;
  }

  @Test
  void theSameTrafficGivesTheSameServerSeriesAsVertxsOwnMeters() {
    PrometheusMeterRegistry stockRegistry = Prometheus.newRegistry();
    PrometheusMeterRegistry kasokuRegistry = Prometheus.newRegistry();
    Vertx stock = stock(stockRegistry);
    Vertx kasoku = kasoku(kasokuRegistry);
    int stockPort = serve(stock);
    int kasokuPort = serve(kasoku);
    traffic(stock, stockPort);
    traffic(kasoku, kasokuPort);

    // the servers see the last request end and the connections close a little after the client does
    for (long end = System.nanoTime() + 5_000_000_000L; System.nanoTime() < end
        && !serverSeries(stockRegistry, stockPort).equals(serverSeries(kasokuRegistry, kasokuPort)); ) {
      Thread.onSpinWait();
    }
    Map<String, String> kasokuSeries = serverSeries(kasokuRegistry, kasokuPort);
    // "local" is the address the server was told to listen on (port 0 here), as in Vert.x's own
    assertThat(kasokuSeries).isEqualTo(serverSeries(stockRegistry, stockPort));
    assertThat(kasokuSeries).containsEntry(
        "vertx_http_server_requests_total{code=\"200\",local=\"127.0.0.1:0\",method=\"GET\"}", "5.0");
    assertThat(kasokuSeries).containsEntry(
        "vertx_http_server_requests_total{code=\"201\",local=\"127.0.0.1:0\",method=\"POST\"}", "3.0");
    assertThat(kasokuSeries).containsEntry(
        "vertx_http_server_active_requests{local=\"127.0.0.1:0\",method=\"GET\"}", "0.0");
    assertThat(kasokuSeries).containsKey("vertx_http_server_active_connections{local=\"127.0.0.1:0\"}");
  }

  @Test
  void anInstrumentedVertxRecordsHttpServerRequestsWithMetersLookedUpOnce() {
    Vertx vertx = kasoku(Prometheus.newRegistry());
    Object metrics = ((VertxInternal) vertx).metrics()
        .createHttpServerMetrics(new HttpServerOptions(), SocketAddress.inetSocketAddress(8080, "127.0.0.1"));
    assertThat(metrics).isInstanceOf(HttpServerMeters.class);
  }
}
