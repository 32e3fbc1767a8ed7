package dev.kasoku.cacheedge.testing;

import dev.kasoku.common.testing.Await;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real origin HTTP server on 127.0.0.1 with a handler the test swaps at will; it records every
 * request it receives (method, URI, headers, body length) so tests can assert what reached it.
 */
public final class TestOrigin implements AutoCloseable {
  /** One request as the origin saw it. */
  public record Seen(String method, String uri, MultiMap headers, int bodyBytes) {}

  private final HttpServer server;
  private final AtomicInteger count = new AtomicInteger();
  private final List<Seen> seen = new CopyOnWriteArrayList<>();
  private volatile Handler<HttpServerRequest> handler = req -> req.response().end("ok");

  public TestOrigin(Vertx vertx) {
    server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
        .requestHandler(req -> {
          count.incrementAndGet();
          MultiMap copy = HttpHeaders.headers().addAll(req.headers());
          req.body().onComplete(ar -> {
            seen.add(new Seen(req.method().name(), req.uri(), copy, ar.succeeded() ? ar.result().length() : -1));
            handler.handle(req);
          });
        });
    Await.result(server.listen());
  }

  public int port() {
    return server.actualPort();
  }

  public String url() {
    return "http://127.0.0.1:" + port();
  }

  public TestOrigin handle(Handler<HttpServerRequest> h) {
    this.handler = h;
    return this;
  }

  /** Answers every request with this status, these headers and this body. */
  public TestOrigin respond(int status, String body, String... headerPairs) {
    return handle(req -> {
      var resp = req.response().setStatusCode(status);
      for (int i = 0; i < headerPairs.length; i += 2) {
        resp.headers().add(headerPairs[i], headerPairs[i + 1]);
      }
      resp.end(body);
    });
  }

  public int count() {
    return count.get();
  }

  public List<Seen> seen() {
    return seen;
  }

  public Seen last() {
    return seen.isEmpty() ? null : seen.get(seen.size() - 1);
  }

  @Override
  public void close() {
    Await.result(server.close());
  }
}
