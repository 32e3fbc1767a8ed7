package dev.kasoku.common.testing;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.RequestOptions;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Runs a chain of Vert.x calls on an event-loop context instead of the JUnit thread.
 *
 * <p>A client exchange chained from the JUnit thread
 * ({@code client.request(o).compose(r -> r.send()).compose(r -> r.body())}) races the event loop:
 * when a pooled connection makes the request future complete at once, each later step is attached
 * on the JUnit thread while the event loop already delivers the response, and a {@code body()}
 * attached after the response's data and end have gone by never completes (Vert.x issues 5825,
 * 5904 and 6038). The test then "hangs" on an answer that reached the client whole. Built on a
 * context, every step is attached before the event loop can deliver anything to it.
 */
public final class OnContext {
  private OnContext() {}

  /** {@code chain}'s future, with {@code chain} called on a new event-loop context of {@code vertx}. */
  public static <T> Future<T> run(Vertx vertx, Supplier<Future<T>> chain) {
    Promise<T> done = Promise.promise();
    vertx.getOrCreateContext().runOnContext(v -> {
      try {
        chain.get().onComplete(done);
      } catch (RuntimeException e) {
        done.fail(e);
      }
    });
    return done.future();
  }

  /**
   * Sends {@code options} with {@code client} and maps the response with its whole body, all on a
   * context of {@code vertx}: {@code read} gets the response (head fields, status) once its body is in.
   */
  public static <T> Future<T> exchange(Vertx vertx, HttpClient client, RequestOptions options,
                                       Function<Answer, T> read) {
    return run(vertx, () -> client.request(options)
        .compose(req -> req.send().compose(resp -> resp.body().map(b -> read.apply(new Answer(resp, b))))));
  }

  /** A response and its whole body. */
  public record Answer(HttpClientResponse response, io.vertx.core.buffer.Buffer body) {}
}
