package dev.kasoku.cacheedge.engine;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

/**
 * A client's request body on its way to the origin, cut off at the site's {@code maxRequestBody}.
 *
 * <p>A body that declares its length is refused before anything is forwarded (413 in RECV). A body
 * without a declared length (chunked, or HTTP/2 without content-length) can only be judged while it
 * flows: the buffer that crosses the limit is not passed on, the end is never signalled, and the
 * reader's exception handler is told instead. The origin connection then closes without writing the
 * last chunk, so the origin sees a request that broke off — never a truncated body framed as if
 * complete — and the engine answers the client 413 ({@link #exceeded()}).
 *
 * <p>Used on the request's event loop only.
 */
final class BoundedBody implements ReadStream<Buffer> {
  /** What the reader's exception handler receives when the limit is crossed. */
  static final class TooLarge extends RuntimeException {
    TooLarge(long limit) {
      super("request body larger than " + limit + " bytes", null, false, false);
    }
  }

  private final ReadStream<Buffer> in;
  private final long limit;
  private long seen;
  private boolean exceeded;
  private Handler<Throwable> exceptionHandler;

  BoundedBody(ReadStream<Buffer> in, long limit) {
    this.in = in;
    this.limit = limit;
  }

  /** True once more than the limit arrived. */
  boolean exceeded() {
    return exceeded;
  }

  @Override
  public BoundedBody handler(Handler<Buffer> h) {
    if (h == null) {
      in.handler(null);
      return this;
    }
    in.handler(data -> {
      if (exceeded) {
        return; // the rest is read and dropped until the connection closes
      }
      seen += data.length();
      if (seen > limit) {
        exceeded = true;
        Handler<Throwable> eh = exceptionHandler;
        if (eh != null) {
          eh.handle(new TooLarge(limit));
        }
        return;
      }
      h.handle(data);
    });
    return this;
  }

  @Override
  public BoundedBody exceptionHandler(Handler<Throwable> h) {
    exceptionHandler = h;
    in.exceptionHandler(h);
    return this;
  }

  @Override
  public BoundedBody endHandler(Handler<Void> h) {
    in.endHandler(h == null ? null : v -> {
      if (!exceeded) {
        h.handle(v);
      }
    });
    return this;
  }

  @Override
  public BoundedBody pause() {
    in.pause();
    return this;
  }

  @Override
  public BoundedBody resume() {
    in.resume();
    return this;
  }

  @Override
  public BoundedBody fetch(long amount) {
    in.fetch(amount);
    return this;
  }
}
