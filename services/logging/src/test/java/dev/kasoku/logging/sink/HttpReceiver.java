package dev.kasoku.logging.sink;

import dev.kasoku.common.testing.Await;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPInputStream;

/**
 * A real HTTP log receiver on loopback, in a Vert.x of its own, that a test can take down (refusing
 * connections), make fail (503), make refuse the sink (401), or make accept a batch and then drop
 * the connection before answering (the lost answer that makes an at-least-once sender resend).
 */
final class HttpReceiver implements AutoCloseable {
  enum Mode { ACCEPT, FAIL_503, REFUSE_401, ACCEPT_THEN_RESET }

  private final Vertx vertx = Vertx.vertx();
  private volatile Mode mode = Mode.ACCEPT;
  private HttpServer server;
  private int port;
  /** Records of every batch answered 2xx or reset after reading, in arrival order. */
  private final List<JsonObject> received = new ArrayList<>();
  /** Records of the batches that were read and then reset (the sender could not know they arrived). */
  private final List<JsonObject> reset = new ArrayList<>();
  private final List<MultiMap> headers = new ArrayList<>();
  final AtomicInteger attempts = new AtomicInteger();
  final AtomicInteger failedAttempts = new AtomicInteger();

  HttpReceiver() {
    start(0);
  }

  int port() {
    return port;
  }

  String url() {
    return "http://127.0.0.1:" + port + "/ingest?source=kasoku";
  }

  void mode(Mode m) {
    mode = m;
  }

  /** Stops listening: connections are refused until {@link #up}. */
  void down() {
    Await.result(server.close());
    server = null;
  }

  /** Listens again on the same port. */
  void up() {
    start(port);
  }

  private void start(int onPort) {
    server = Await.result(vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      attempts.incrementAndGet();
      Mode m = mode;
      if (m == Mode.FAIL_503 || m == Mode.REFUSE_401) {
        failedAttempts.incrementAndGet();
        req.response().setStatusCode(m == Mode.FAIL_503 ? 503 : 401).end(m == Mode.FAIL_503 ? "busy" : "bad token");
        return;
      }
      List<JsonObject> lines = parse(req.getHeader("Content-Encoding"), body);
      synchronized (this) {
        received.addAll(lines);
        headers.add(MultiMap.caseInsensitiveMultiMap().addAll(req.headers()));
        if (m == Mode.ACCEPT_THEN_RESET) {
          reset.addAll(lines);
        }
      }
      if (m == Mode.ACCEPT_THEN_RESET) {
        req.connection().close();
      } else {
        req.response().setStatusCode(204).end();
      }
    })).listen(onPort, "127.0.0.1"));
    port = server.actualPort();
  }

  private static List<JsonObject> parse(String encoding, Buffer body) {
    byte[] bytes = body.getBytes();
    if ("gzip".equals(encoding)) {
      try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes))) {
        bytes = in.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    List<JsonObject> out = new ArrayList<>();
    new String(bytes, StandardCharsets.UTF_8).lines().filter(l -> !l.isEmpty()).forEach(l -> out.add(new JsonObject(l)));
    return out;
  }

  synchronized List<JsonObject> received() {
    return List.copyOf(received);
  }

  synchronized List<JsonObject> reset() {
    return List.copyOf(reset);
  }

  synchronized List<MultiMap> headers() {
    return List.copyOf(headers);
  }

  /** Distinct paths received. */
  synchronized long distinctPaths() {
    return received.stream().map(r -> r.getString("path")).distinct().count();
  }

  @Override
  public void close() {
    Await.result(vertx.close());
  }
}
