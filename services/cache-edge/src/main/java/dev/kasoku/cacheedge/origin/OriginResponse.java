package dev.kasoku.cacheedge.origin;

import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.streams.ReadStream;
import java.util.ArrayDeque;

/**
 * An origin's response, as the engine consumes it: status and fields at once, then the body as a
 * stream of buffers with back-pressure ({@link #pause}/{@link #resume}), its end, or a failure.
 *
 * <p>Body data that arrives before a {@link #handler} is set, or while paused, is queued (and the
 * connection stops reading once the queue holds {@value #HIGH_WATER} bytes), so a consumer may set
 * its handlers at any point of its own event-loop turn. {@link #discard()} drops the body (a 304's,
 * or one nobody wants) while letting the connection finish the exchange and go back to its pool;
 * {@link #reset()} abandons the exchange and closes the connection, and the exception handler (if
 * the body had not ended) is then called, asynchronously, with a {@link OriginException} of kind
 * {@code BROKEN}.
 *
 * <p>Used on its connection's event loop only.
 */
public final class OriginResponse {
  /** Queued bytes above which the connection stops reading from the origin. */
  static final int HIGH_WATER = 64 * 1024;

  /** Where the body comes from: an origin connection, or another stream ({@link #streamed}). */
  interface Source {
    void readLess(OriginResponse r);

    void readMore(OriginResponse r);

    /** Abandons the exchange; the response's failure follows, asynchronously. */
    void reset(OriginResponse r);

    /** Runs the task on the response's context, after the current event. */
    void later(Runnable task);
  }

  private final Source connection;
  private final int status;
  private final String reason;
  private final MultiMap headers;

  private Handler<Buffer> handler;
  private Handler<Void> endHandler;
  private Handler<Throwable> exceptionHandler;
  private ArrayDeque<Buffer> queue;
  private int queuedBytes;
  private boolean paused;
  private boolean discarding;
  private boolean reset;
  private boolean ended;
  private boolean endDelivered;
  private Throwable failure;

  /**
   * A response whose body is another Vert.x stream (a peer edge's answer), so a fill treats it as
   * it treats an origin's: {@code body} is paused and is read here; {@code abort} abandons it (the
   * failure then reaches the consumer as a {@code BROKEN} origin exception). Created, and used, on
   * the stream's context.
   */
  public static OriginResponse streamed(int status, MultiMap headers, ReadStream<Buffer> body, Runnable abort) {
    Context ctx = Vertx.currentContext();
    boolean[] paused = {false};
    Source src = new Source() {
      @Override
      public void readLess(OriginResponse r) {
        if (!paused[0]) {
          paused[0] = true;
          body.pause();
        }
      }

      @Override
      public void readMore(OriginResponse r) {
        if (paused[0]) {
          paused[0] = false;
          body.resume();
        }
      }

      @Override
      public void reset(OriginResponse r) {
        abort.run();
        later(() -> r.fail(new OriginException(OriginException.Kind.BROKEN, "peer exchange reset")));
      }

      @Override
      public void later(Runnable task) {
        ctx.runOnContext(v -> task.run());
      }
    };
    OriginResponse r = new OriginResponse(src, status, "", headers);
    body.handler(r::data);
    body.exceptionHandler(t -> r.fail(OriginException.of(t)));
    body.endHandler(v -> r.end());
    body.resume();
    return r;
  }

  OriginResponse(Source connection, int status, String reason, MultiMap headers) {
    this.connection = connection;
    this.status = status;
    this.reason = reason;
    this.headers = headers;
  }

  public int statusCode() {
    return status;
  }

  /** The origin's reason phrase (may be empty). */
  public String statusMessage() {
    return reason;
  }

  /** The response's fields (as received; the caller filters them). */
  public MultiMap headers() {
    return headers;
  }

  public OriginResponse handler(Handler<Buffer> h) {
    handler = h;
    drain();
    return this;
  }

  public OriginResponse endHandler(Handler<Void> h) {
    endHandler = h;
    drain();
    return this;
  }

  public OriginResponse exceptionHandler(Handler<Throwable> h) {
    exceptionHandler = h;
    if (failure != null && h != null && !endDelivered) {
      Throwable t = failure;
      failure = null;
      h.handle(t);
    }
    return this;
  }

  /** Stops delivering body data; the connection stops reading once the queue is full. */
  public OriginResponse pause() {
    paused = true;
    return this;
  }

  public OriginResponse resume() {
    if (paused) {
      paused = false;
      drain();
    }
    return this;
  }

  /** Drops the body: nothing more is delivered, the exchange completes and frees its connection. */
  public void discard() {
    discarding = true;
    handler = null;
    endHandler = null;
    queue = null;
    queuedBytes = 0;
    paused = false;
    connection.readMore(this);
  }

  /**
   * Abandons the exchange: nothing more is delivered but the failure, and the connection is closed
   * (a body cannot be cut short otherwise).
   */
  public void reset() {
    if (endDelivered) {
      return;
    }
    reset = true;
    handler = null;
    queue = null;
    queuedBytes = 0;
    if (ended) {
      // read whole already (the consumer had paused): no close to wait for, the failure comes next turn
      connection.later(() -> fail(new OriginException(OriginException.Kind.BROKEN, "origin exchange reset")));
    } else {
      connection.reset(this);
    }
  }

  // ---------------------------------------------------------------- from the connection

  void data(Buffer b) {
    if (discarding || reset) {
      return;
    }
    if (handler != null && !paused && (queue == null || queue.isEmpty())) {
      handler.handle(b);
      return;
    }
    if (queue == null) {
      queue = new ArrayDeque<>();
    }
    queue.add(b);
    queuedBytes += b.length();
    if (queuedBytes >= HIGH_WATER) {
      connection.readLess(this);
    }
  }

  void end() {
    if (reset) {
      // the body was complete before the reset took effect: the consumer still hears of its reset
      fail(new OriginException(OriginException.Kind.BROKEN, "origin exchange reset"));
      return;
    }
    ended = true;
    drain();
  }

  void fail(Throwable t) {
    if (endDelivered || (ended && !reset)) {
      return; // the body was complete: a later close is none of the consumer's business
    }
    ended = true;
    endDelivered = true; // no end after a failure
    queue = null;
    if (exceptionHandler != null) {
      exceptionHandler.handle(t);
    } else {
      failure = t;
    }
  }

  /** True while the consumer holds data back (the read timeout does not run then). */
  boolean heldBack() {
    return paused || queuedBytes >= HIGH_WATER;
  }

  private void drain() {
    if (discarding || reset || endDelivered) {
      return;
    }
    if (queue != null) {
      while (!paused && handler != null && !queue.isEmpty()) {
        Buffer b = queue.poll();
        queuedBytes -= b.length();
        handler.handle(b);
        if (discarding || endDelivered) {
          return;
        }
      }
      if (queuedBytes < HIGH_WATER) {
        connection.readMore(this);
      }
    }
    if (ended && endHandler != null && !paused && (queue == null || queue.isEmpty())) {
      endDelivered = true;
      endHandler.handle(null);
    }
  }
}
