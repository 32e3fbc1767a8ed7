package dev.kasoku.bench.services;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.util.concurrent.TimeUnit;

/**
 * The traffic side of the benches that go through a real edge: an origin on loopback serving 1 KiB
 * cacheable objects under any path, and a client that sends GETs to the edge with the site's Host
 * header and completes with the wall-clock millisecond at which the whole response was read.
 */
final class Traffic implements AutoCloseable {
  final Vertx vertx = Vertx.vertx();
  private final HttpClient client;
  private final String edgeHost;
  private final int edgePort;
  private HttpServer origin;

  Traffic(String edgeUrl, int connections) {
    URI u = URI.create(edgeUrl);
    this.edgeHost = u.getHost();
    this.edgePort = u.getPort();
    this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(connections));
  }

  /** Starts the origin on an ephemeral loopback port; answers its base URL. */
  String startOrigin() throws Exception {
    Buffer body = Buffer.buffer(new byte[1024]);
    origin = vertx.createHttpServer().requestHandler(req -> req.response()
            .putHeader("Cache-Control", "public, max-age=3600").putHeader("Content-Type", "application/octet-stream")
            .end(body))
        .listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    return "http://127.0.0.1:" + origin.actualPort();
  }

  /** GET {@code path} on the edge as {@code host}; completes with the epoch millisecond the response ended. */
  Future<Long> get(String host, String path) {
    return client.request(new RequestOptions().setMethod(HttpMethod.GET).setHost(edgeHost).setPort(edgePort)
            .setURI(path).putHeader("Host", host))
        .compose(req -> req.send().compose(resp -> resp.body().map(b -> {
          if (resp.statusCode() != 200) {
            throw new IllegalStateException("edge answered " + resp.statusCode() + " for " + path + ": "
                + b.toString().substring(0, Math.min(200, b.length())));
          }
          return System.currentTimeMillis();
        })));
  }

  @Override
  public void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }
}
