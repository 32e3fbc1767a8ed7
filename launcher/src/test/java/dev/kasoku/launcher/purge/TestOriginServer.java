package dev.kasoku.launcher.purge;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A customer's origin for purge tests (the edge sends the origin's own host, so resources are keyed
 * by path; the host arguments document which site a test means): every resource has a version the test bumps to
 * simulate a content change. Responses are cacheable for an hour, carry {@code ETag: "v<n>"} and a
 * {@code Surrogate-Key} of {@code tag-<first path segment>}, answer a matching If-None-Match with
 * 304, and a path marked slow answers its next request after a delay.
 */
final class TestOriginServer implements AutoCloseable {
  private final Vertx vertx;
  private final HttpServer server;
  private final Map<String, AtomicInteger> versions = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> conditionals = new ConcurrentHashMap<>();
  private final Map<String, Long> slowOnce = new ConcurrentHashMap<>();
  private final Set<String> seenHosts = ConcurrentHashMap.newKeySet();

  TestOriginServer(Vertx vertx) throws Exception {
    this.vertx = vertx;
    this.server = vertx.createHttpServer().requestHandler(this::handle).listen(0, "127.0.0.1")
        .await(10, TimeUnit.SECONDS);
  }

  String url() {
    return "http://127.0.0.1:" + server.actualPort();
  }

  /** The content of host + path changes (its next fetch returns version n+1). */
  int bump(String host, String path) {
    return version("", path).incrementAndGet();
  }

  /** The next request for host + path is answered after {@code delayMs}. */
  void slowOnce(String host, String path, long delayMs) {
    slowOnce.put(path, delayMs);
  }

  int requests(String host, String path) {
    return requests.computeIfAbsent(path, k -> new AtomicInteger()).get();
  }

  int conditionalRequests(String host, String path) {
    return conditionals.computeIfAbsent(path, k -> new AtomicInteger()).get();
  }

  private AtomicInteger version(String host, String path) {
    return versions.computeIfAbsent(path, k -> new AtomicInteger(1));
  }

  private void handle(HttpServerRequest req) {
    String host = "";
    String path = req.path();
    seenHosts.add(host);
    requests.computeIfAbsent(host + path, k -> new AtomicInteger()).incrementAndGet();
    int v = version(host, path).get();
    Long delay = slowOnce.remove(host + path);
    if (delay != null) {
      vertx.setTimer(delay, t -> respond(req, host, path, v));
    } else {
      respond(req, host, path, v);
    }
  }

  private void respond(HttpServerRequest req, String host, String path, int v) {
    String etag = "\"v" + v + "\"";
    String segment = path.length() > 1 ? path.substring(1).split("/")[0] : "root";
    req.response().putHeader("Cache-Control", "max-age=3600").putHeader("ETag", etag)
        .putHeader("Surrogate-Key", "tag-" + segment + " every-page");
    if (etag.equals(req.getHeader("If-None-Match"))) {
      conditionals.computeIfAbsent(host + path, k -> new AtomicInteger()).incrementAndGet();
      req.response().setStatusCode(304).end();
      return;
    }
    if (req.getHeader("If-None-Match") != null) {
      conditionals.computeIfAbsent(host + path, k -> new AtomicInteger()).incrementAndGet();
    }
    req.response().putHeader("Content-Type", "text/plain").end(host + path + " v" + v);
  }

  @Override
  public void close() throws Exception {
    Future<Void> closed = server.close();
    closed.await(10, TimeUnit.SECONDS);
  }
}
