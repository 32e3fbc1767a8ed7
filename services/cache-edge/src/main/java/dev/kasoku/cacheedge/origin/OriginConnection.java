package dev.kasoku.cacheedge.origin;

import dev.kasoku.cacheedge.origin.OriginException.Kind;
import dev.kasoku.common.time.Ticker;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.impl.headers.HeadersMultiMap;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.streams.ReadStream;
import java.util.concurrent.TimeUnit;

/**
 * One keep-alive HTTP/1.1 connection to an origin, owned by an {@link OriginPool} and driven on its
 * verticle's event loop: it carries one exchange at a time (no pipelining), goes back to its pool
 * when an exchange completes cleanly, and is closed otherwise.
 *
 * <p>A connection is reused only when the whole request was written, the whole response was read,
 * and neither side asked to close. The read timeout ("no byte from the origin for this long") is one
 * timer per connection that re-arms itself, not one per request; it does not run while the consumer
 * holds the body back (a slow client) or while a request body is still being uploaded.
 *
 * <p>Every event reaches the engine inside the verticle's Vert.x context ({@link ContextInternal#emit}),
 * as Vert.x's own client would deliver it.
 */
final class OriginConnection extends ChannelInboundHandlerAdapter implements OriginResponse.Source {
  private static final HttpDecoderConfig DECODER_CONFIG = new HttpDecoderConfig()
      .setMaxInitialLineLength(8192)
      .setMaxHeaderSize(32 * 1024)
      .setMaxChunkSize(16 * 1024);

  private final OriginPool pool;
  private final ContextInternal context;
  private final Ticker ticker;
  private final long readTimeoutNanos;
  private final Handler<Object> reader = this::read;
  private final Runnable timeoutCheck = this::timeoutFired;
  private Channel channel;
  private ResponseDecoder decoder;

  private OriginRequest current;
  private OriginResponse response;
  private boolean requestWritten;
  private boolean interim;
  private boolean keepAlive;
  private boolean bodyPaused;
  private boolean closing;
  private boolean gone;
  private boolean timerArmed;
  private long lastActivity;
  private boolean reused;
  /** When it went back to the pool (a ticker reading), for the keep-alive sweep. */
  long idleSince;

  OriginConnection(OriginPool pool, ContextInternal context, Ticker ticker, long readTimeoutMs) {
    this.pool = pool;
    this.context = context;
    this.ticker = ticker;
    this.readTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(readTimeoutMs);
  }

  /** Adds the HTTP codec and this handler to a new channel's pipeline (after TLS, if any). */
  void install(Channel ch) {
    channel = ch;
    decoder = new ResponseDecoder();
    ch.pipeline().addLast("originDecoder", decoder);
    ch.pipeline().addLast("originEncoder", new RequestEncoder());
    ch.pipeline().addLast("origin", this);
  }

  boolean usable() {
    return !closing && channel != null && channel.isActive();
  }

  /** True when this connection carried an exchange before the current one. */
  boolean reused() {
    return reused;
  }

  // ---------------------------------------------------------------- request

  /** Starts an exchange: writes the request head (and body, streamed with back-pressure). */
  void start(OriginRequest r) {
    current = r;
    response = null;
    requestWritten = false;
    interim = false;
    keepAlive = true;
    bodyPaused = false;
    lastActivity = ticker.read();
    armTimer();
    decoder.expectHead = r.method == HttpMethod.HEAD;
    HeadersMultiMap h = r.headers;
    h.set(HttpHeaderNames.HOST, r.hostHeader);
    if (r.body == null) {
      requestWritten = true;
      channel.writeAndFlush(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, r.method, r.uri, Unpooled.EMPTY_BUFFER,
          h, EmptyHttpHeaders.INSTANCE), channel.voidPromise());
      return;
    }
    if (!h.contains(HttpHeaderNames.CONTENT_LENGTH)) {
      h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
    }
    channel.writeAndFlush(new DefaultHttpRequest(HttpVersion.HTTP_1_1, r.method, r.uri, h), channel.voidPromise());
    ReadStream<Buffer> body = r.body;
    body.handler(data -> {
      if (current != r || closing) {
        return;
      }
      lastActivity = ticker.read();
      channel.writeAndFlush(new DefaultHttpContent(((BufferInternal) data).getByteBuf()), channel.voidPromise());
      if (!channel.isWritable()) {
        bodyPaused = true;
        body.pause();
      }
    });
    body.exceptionHandler(t -> {
      if (current == r) {
        fail(new OriginException(Kind.BROKEN, "client request body broke off: " + t.getMessage()));
      }
    });
    body.endHandler(v -> {
      if (current != r || closing) {
        return;
      }
      lastActivity = ticker.read();
      requestWritten = true;
      channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT, channel.voidPromise());
    });
    body.resume();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    OriginRequest r = current;
    if (bodyPaused && r != null && r.body != null && channel.isWritable()) {
      bodyPaused = false;
      context.emit(null, v -> r.body.resume());
    }
    ctx.fireChannelWritabilityChanged();
  }

  // ---------------------------------------------------------------- response

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    context.emit(msg, reader);
  }

  private void read(Object msg) {
    OriginRequest r = current;
    if (r == null) {
      ReferenceCountUtil.release(msg); // bytes nobody asked for (e.g. a 408 before an idle close)
      close();
      return;
    }
    lastActivity = ticker.read();
    if (msg instanceof HttpResponse head) {
      if (head.decoderResult().isFailure()) {
        ReferenceCountUtil.release(msg);
        fail(new OriginException(Kind.INVALID_RESPONSE, "invalid response from origin: " + head.decoderResult().cause()));
        return;
      }
      if (hasBareCr(head.headers())) {
        ReferenceCountUtil.release(msg);
        fail(new OriginException(Kind.INVALID_RESPONSE, "invalid response from origin: a bare CR or NUL in a header field"));
        return;
      }
      int code = head.status().code();
      if (code < 200) {
        if (code == 101) {
          fail(new OriginException(Kind.BROKEN, "origin switched protocols unasked"));
          return;
        }
        interim = true; // 100/102/103: not the response; the final one follows (RFC 9110 §15.2)
        if (code == 103 && r.earlyHints != null) {
          r.earlyHints.handle((MultiMap) head.headers());
        }
      } else {
        keepAlive = HttpUtil.isKeepAlive(head);
        response = new OriginResponse(this, code, head.status().reasonPhrase(), (MultiMap) head.headers());
        r.promise.tryComplete(response);
      }
    }
    if (msg instanceof HttpContent c) {
      if (c.decoderResult().isFailure()) {
        c.release();
        fail(new OriginException(Kind.BROKEN, "origin response broke off: " + c.decoderResult().cause()));
        return;
      }
      OriginResponse resp = response;
      if (interim || resp == null) {
        c.release();
        if (c instanceof LastHttpContent) {
          interim = false;
        }
        return;
      }
      ByteBuf content = c.content();
      if (content.isReadable()) {
        resp.data(BufferInternal.safeBuffer(content)); // a heap copy; the pooled buffer is released
      } else {
        c.release();
      }
      if (c instanceof LastHttpContent && response == resp) {
        completed(resp);
      }
    }
  }

  /**
   * True when a field value holds a CR or NUL. The decoder splits lines on LF (and, parsing strictly,
   * refuses a bare LF), but keeps a CR inside a value: forwarded, it would be a header injection
   * towards clients and caches behind us.
   */
  private static boolean hasBareCr(HttpHeaders headers) {
    for (java.util.Map.Entry<String, String> e : headers) {
      String v = e.getValue();
      for (int i = 0; i < v.length(); i++) {
        char c = v.charAt(i);
        if (c == '\r' || c == 0) {
          return true;
        }
      }
    }
    return false;
  }

  /** The response was read whole: back to the pool when the exchange left the connection clean. */
  private void completed(OriginResponse resp) {
    OriginRequest r = current;
    boolean reusable = keepAlive && requestWritten && !closing && channel.isActive();
    current = null;
    response = null;
    reused = true;
    if (r.body != null && !requestWritten) {
      abandonBody(r);
    }
    if (reusable) {
      channel.config().setAutoRead(true);
      pool.release(this);
    } else {
      close();
    }
    resp.end();
  }

  /** Ends the current exchange with a failure and closes the connection. */
  private void fail(OriginException e) {
    OriginRequest r = current;
    OriginResponse resp = response;
    current = null;
    response = null;
    close();
    if (r == null) {
      return;
    }
    if (r.body != null && !requestWritten) {
      abandonBody(r);
    }
    if (resp != null) {
      resp.fail(e);
    } else if (!pool.retry(r, this, e)) {
      r.promise.tryFail(e);
    }
  }

  /** Stops forwarding a client body the origin no longer reads; the rest is read and dropped. */
  private static void abandonBody(OriginRequest r) {
    r.body.handler(data -> { });
    // the exchange is already settled: a client that breaks off its upload now changes nothing
    r.body.exceptionHandler(t -> { });
    r.body.endHandler(v -> { });
    r.body.resume();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    context.emit(null, v -> {
      closing = true;
      if (current != null) {
        fail(new OriginException(response == null ? Kind.CONNECT : Kind.BROKEN,
            response == null ? "origin closed the connection before answering" : "origin closed the connection mid-body"));
      }
      pool.gone(this);
    });
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    context.emit(cause, t -> {
      if (current != null) {
        fail(OriginException.of(t));
      } else {
        close();
      }
    });
  }

  // ---------------------------------------------------------------- from the response / the pool

  @Override
  public void readLess(OriginResponse r) {
    if (r == response) {
      channel.config().setAutoRead(false);
    }
  }

  @Override
  public void readMore(OriginResponse r) {
    if (r == response && !channel.config().isAutoRead()) {
      channel.config().setAutoRead(true);
    }
  }

  @Override
  public void reset(OriginResponse r) {
    if (r == response) {
      close(); // the consumer hears of it from channelInactive, as from any other close
    }
  }

  /** Runs {@code task} on this connection's context, after the current event. */
  @Override
  public void later(Runnable task) {
    context.runOnContext(v -> task.run());
  }

  void close() {
    if (!closing) {
      closing = true;
      if (channel != null) {
        channel.close();
      }
    }
  }

  /** Marks the connection as counted out of its pool exactly once. */
  boolean markGone() {
    if (gone) {
      return false;
    }
    gone = true;
    return true;
  }

  // ---------------------------------------------------------------- read timeout

  private void armTimer() {
    if (!timerArmed) {
      timerArmed = true;
      channel.eventLoop().schedule(timeoutCheck, readTimeoutNanos, TimeUnit.NANOSECONDS);
    }
  }

  private void timeoutFired() {
    timerArmed = false;
    if (current == null || closing) {
      return;
    }
    long now = ticker.read();
    if ((response != null && response.heldBack()) || (current.body != null && !requestWritten)) {
      lastActivity = now; // the wait is on our side, not the origin's
    }
    long idle = now - lastActivity;
    if (idle >= readTimeoutNanos) {
      context.emit(null, v -> {
        if (current != null) {
          fail(new OriginException(Kind.TIMEOUT,
              "no data from the origin for " + TimeUnit.NANOSECONDS.toMillis(readTimeoutNanos) + " ms"));
        }
      });
      return;
    }
    timerArmed = true;
    channel.eventLoop().schedule(timeoutCheck, readTimeoutNanos - idle, TimeUnit.NANOSECONDS);
  }

  // ---------------------------------------------------------------- codec

  /**
   * Netty's response decoder, told when the response answers a HEAD (no body whatever its
   * Content-Length says), producing Vert.x header maps so the engine reads them without a copy.
   */
  private static final class ResponseDecoder extends HttpResponseDecoder {
    boolean expectHead;

    ResponseDecoder() {
      super(DECODER_CONFIG);
    }

    @Override
    protected HttpMessage createMessage(String[] initialLine) {
      // the origin's fields are parsed from lines: no LF can be in them; a CR is looked for once in
      // read() instead of validating every name and value as it is added
      return new DefaultHttpResponse(HttpVersion.valueOf(initialLine[0]),
          HttpResponseStatus.valueOf(Integer.parseInt(initialLine[1]), initialLine[2]),
          HeadersMultiMap.caseInsensitive());
    }

    @Override
    protected boolean isContentAlwaysEmpty(HttpMessage msg) {
      return expectHead || super.isContentAlwaysEmpty(msg);
    }
  }

  /** Netty's request encoder writing Vert.x header maps in one pass. */
  private static final class RequestEncoder extends HttpRequestEncoder {
    @Override
    protected void encodeHeaders(HttpHeaders headers, ByteBuf buf) {
      if (headers instanceof HeadersMultiMap h) {
        h.encode(buf, false);
      } else {
        super.encodeHeaders(headers, buf);
      }
    }
  }
}
