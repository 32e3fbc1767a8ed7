package dev.kasoku.cacheedge.engine;

import dev.kasoku.cacheedge.EdgeSettings;
import dev.kasoku.common.time.Ticker;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.HttpServerConnection;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The edge's own HTTP/1.x request decoder: message framing refused where Netty would guess, and
 * the connection-level timeouts that a slow client cannot stretch.
 *
 * <p><b>Framing.</b> RFC 9112 §6.1 lets a server either reject a message with both
 * {@code Content-Length} and {@code Transfer-Encoding} or read it as chunked; Netty does the latter
 * inside its decoder, and it reads any other transfer coding ({@code identity}, {@code xchunked},
 * {@code chunked, identity}) as "no body", so the bytes the sender meant as a body are decoded as
 * the next request. Behind a front proxy that frames the message the other way, that next request
 * is one the proxy never saw: a smuggled request. Refusing it later, in the request handler, is too
 * late, because by then Vert.x has already decoded what follows and dispatches it as soon as the
 * refusal is written. So the refusal happens here, the moment the head is parsed: a request is
 * marked as a decoding failure when it has
 * <ul>
 *   <li>{@code Transfer-Encoding} together with {@code Content-Length};</li>
 *   <li>{@code Transfer-Encoding} in more than one field, or with any value but {@code chunked}
 *       (RFC 9112 §6.3: a final coding other than chunked gets 400 and the connection is closed;
 *       the edge decodes no other coding, so {@code gzip, chunked} is refused too);</li>
 *   <li>{@code Transfer-Encoding} on HTTP/1.0, which has no chunked coding;</li>
 *   <li>a field with an empty name ({@code : x}), which Netty would otherwise accept.</li>
 * </ul>
 * Vert.x hands a failed request to the edge's invalid-request handler ({@link EdgeRequest}), which
 * answers 400 and closes the connection; from the refused request on this decoder decodes nothing
 * more, so nothing pipelined behind it is ever dispatched. A malformed chunked body (a size that
 * overflows, {@code 0x5}, data past the chunk size, a bare LF in a chunk extension: Netty detects
 * each) is answered 400 here, since its request was already dispatched and Vert.x would only close
 * the connection: when no response has started on the connection, the decoder writes the 400 itself,
 * stops any further response from Vert.x ({@link ResponseWatch}) and closes.
 *
 * <p><b>Timeouts</b> (settings in {@link EdgeSettings.Connections}). A connection is always in one
 * of three reading phases, each with its own clock:
 * <ul>
 *   <li>HEAD, from the accept or the first byte of a request until its head is complete: a fixed
 *       deadline ({@code headerTimeoutMs}), so a client trickling one byte at a time cannot extend
 *       it; past it the client gets 408 and the connection is closed (nginx's
 *       {@code client_header_timeout}, Varnish's {@code timeout_idle});</li>
 *   <li>BODY, while a request body is read: at most {@code bodyTimeoutMs} between two body reads;
 *       time in which the edge itself does not read (back-pressure towards a slow origin) does not
 *       count; 408 and close past it (nginx's {@code client_body_timeout});</li>
 *   <li>WAIT, after a request was read: no clock while its response is being produced (the origin
 *       read timeout bounds that); once every response is written, the keep-alive idle timeout
 *       ({@code keepAliveTimeoutMs}) closes a connection that sends nothing more.</li>
 * </ul>
 * The clock is one timer per connection on its event loop, re-armed by itself, not one scheduled and
 * cancelled per phase: moving to another phase only sets the deadline, and the timer, whenever it
 * fires, either finds the deadline passed, or schedules itself again for what remains, never further
 * ahead than the shortest of the three timeouts, so a deadline set later is never earlier than the
 * timer. (Three schedules and three cancels per keep-alive request were about 4% of the edge's
 * event-loop CPU on pass-through.) It is cancelled when the channel closes.
 *
 * <p>Vert.x has no option for any of this, so each HTTP/1.x connection's decoder is swapped, when
 * the connection is handed to us and before any request has been decoded, for this one. The swap
 * uses Vert.x's internal connection type and pipeline names ({@code httpDecoder},
 * {@code httpEncoder}); {@code RequestFramingTest} fails if a Vert.x upgrade moves them.
 *
 * <p>The swap is only safe before the first byte is decoded, which is why the plain listener does
 * not offer cleartext HTTP/2 (h2c): with h2c on, Vert.x hands the connection over only while the
 * first HTTP/1.1 request is already being decoded, so that request would escape the check and the
 * swap would cut its body in two. HTTP/2 is offered on the HTTPS listener by ALPN, which is how
 * browsers and CDN clients speak it; there the connection is handed over before any request.
 */
public final class StrictFraming {
  /** Name Vert.x gives the HTTP/1.x request decoder in the channel pipeline. */
  static final String DECODER = "httpDecoder";
  /** Name Vert.x gives the HTTP/1.x response encoder; the response watch sits right after it. */
  static final String ENCODER = "httpEncoder";
  static final String WATCH = "kasokuResponseWatch";
  private static final long NO_DEADLINE = Long.MIN_VALUE;
  /** The decoders' clock: the event loop's scheduler runs on the same one. */
  private static final Ticker TICKER = Ticker.system();

  private StrictFraming() {}

  /**
   * Installs the strict decoder on an HTTP/1.x connection (HTTP/2 connections have no such decoder
   * and are left alone: HTTP/2 frames carry their own lengths). Returns the decoder, or null when
   * the connection is not HTTP/1.x.
   */
  public static Decoder install(HttpConnection connection, HttpServerOptions options, EdgeSettings.Connections limits) {
    if (!(connection instanceof HttpServerConnection internal)) {
      return null;
    }
    ChannelPipeline pipeline = internal.channelHandlerContext().pipeline();
    ChannelHandler current = pipeline.get(DECODER);
    if (current == null || current.getClass() != VertxHttpRequestDecoder.class || pipeline.get(ENCODER) == null) {
      return null;
    }
    ResponseWatch watch = new ResponseWatch();
    Decoder decoder = new Decoder(options, limits, watch);
    watch.decoder = decoder;
    pipeline.replace(DECODER, DECODER, decoder);
    pipeline.addAfter(ENCODER, WATCH, watch);
    return decoder;
  }

  /** Why a request head was refused: the text of the 400 the client gets. */
  static final class FramingRefused extends IllegalArgumentException {
    FramingRefused(String message) {
      super(message);
    }
  }

  /** The reading phase of a connection (see the class comment). */
  enum Phase { HEAD, BODY, WAIT }

  /** Vert.x's request decoder with the framing refusals and the timeouts of the class comment. */
  public static final class Decoder extends VertxHttpRequestDecoder {
    private final EdgeSettings.Connections limits;
    private final ResponseWatch watch;
    private ChannelHandlerContext ctx;
    private Phase phase = Phase.HEAD;
    /** The current phase's deadline on {@link StrictFraming#TICKER}, or {@link StrictFraming#NO_DEADLINE}. */
    private long deadline = NO_DEADLINE;
    /** The pending run of {@link #tick}, or null when none is scheduled. */
    private ScheduledFuture<?> timer;
    /** The longest the timer is scheduled ahead: the shortest timeout in force. */
    private final long stepNanos;
    private final Runnable tick = this::tick;
    /** Request heads decoded on this connection. */
    private long requests;
    /** Once set, nothing more is decoded: the connection is being closed. */
    private boolean refused;

    Decoder(HttpServerOptions options, EdgeSettings.Connections limits, ResponseWatch watch) {
      super(options);
      this.limits = limits;
      this.watch = watch;
      long shortest = Long.MAX_VALUE;
      for (long ms : new long[] {limits.headerTimeoutMs(), limits.bodyTimeoutMs(), limits.keepAliveTimeoutMs()}) {
        if (ms > 0) {
          shortest = Math.min(shortest, ms);
        }
      }
      this.stepNanos = shortest == Long.MAX_VALUE ? Long.MAX_VALUE : TimeUnit.MILLISECONDS.toNanos(shortest);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
      super.handlerAdded(ctx);
      this.ctx = ctx;
      arm(limits.headerTimeoutMs(), Phase.HEAD); // from the accept: the first request must come quickly
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      stopTimer();
      refused = true;
      super.channelInactive(ctx);
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) throws Exception {
      stopTimer();
      super.handlerRemoved0(ctx);
    }

    @Override
    protected boolean isContentAlwaysEmpty(HttpMessage msg) {
      String refusal = framingRefusal(msg);
      if (refusal != null) {
        msg.setDecoderResult(DecoderResult.failure(new FramingRefused(refusal)));
        refused = true;
        return true; // read no body: nothing after the head is decoded any more
      }
      return super.isContentAlwaysEmpty(msg);
    }

    @Override
    protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
      // refused in isContentAlwaysEmpty, which runs first; kept in case Netty reorders the two
      super.handleTransferEncodingChunkedWithContentLength(message);
      message.setDecoderResult(DecoderResult.failure(new FramingRefused("ambiguous message framing")));
      refused = true;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
      if (refused) {
        in.skipBytes(in.readableBytes());
        return;
      }
      if (phase == Phase.WAIT && in.isReadable()) {
        arm(limits.headerTimeoutMs(), Phase.HEAD); // the first byte of the next request starts its deadline
      }
      int before = out.size();
      super.decode(ctx, in, out);
      for (int i = before; i < out.size(); i++) {
        Object m = out.get(i);
        if (m instanceof HttpRequest r) {
          requests++;
          if (r.decoderResult().isFailure()) {
            refused = true;
            cancel();
            phase = Phase.WAIT;
            continue;
          }
          arm(limits.bodyTimeoutMs(), Phase.BODY);
        }
        if (m instanceof HttpContent c) {
          if (c.decoderResult().isFailure()) {
            if (watch.quiet(requests - 1)) {
              // no response started for this request and none is being written: the client gets a 400
              ReferenceCountUtil.release(out.remove(i));
              answerAndClose(400, "malformed chunked body");
              return;
            }
            refused = true; // a response is under way: Vert.x closes the connection as before
            cancel();
            return;
          }
          if (c instanceof LastHttpContent) {
            cancel();
            phase = Phase.WAIT;
            if (watch.ended() == requests) {
              arm(limits.keepAliveTimeoutMs(), Phase.WAIT); // answered before its body was read
            }
          } else {
            arm(limits.bodyTimeoutMs(), Phase.BODY);
          }
        }
      }
    }

    /** Answers the connection's first request before reading it (a connection past a cap) and closes. */
    void refuse(int status, String text) {
      answerAndClose(status, text);
    }

    /** A response was written whole: with every request answered the keep-alive clock starts. */
    void responseEnded(long responsesEnded) {
      if (!refused && phase == Phase.WAIT && responsesEnded == requests) {
        arm(limits.keepAliveTimeoutMs(), Phase.WAIT);
      }
    }

    private void arm(long ms, Phase next) {
      phase = next;
      if (ms <= 0 || ctx == null) {
        deadline = NO_DEADLINE;
        return;
      }
      long nanos = TimeUnit.MILLISECONDS.toNanos(ms);
      deadline = TICKER.read() + nanos;
      if (timer == null) {
        schedule(nanos);
      }
    }

    /** No clock in this phase (the pending timer, if any, finds no deadline and stops). */
    private void cancel() {
      deadline = NO_DEADLINE;
    }

    private void schedule(long remainingNanos) {
      timer = ctx.executor().schedule(tick, Math.min(remainingNanos, stepNanos), TimeUnit.NANOSECONDS);
    }

    private void stopTimer() {
      deadline = NO_DEADLINE;
      if (timer != null) {
        timer.cancel(false);
        timer = null;
      }
    }

    private void tick() {
      timer = null;
      if (deadline == NO_DEADLINE || refused || !ctx.channel().isActive()) {
        return;
      }
      long remaining = deadline - TICKER.read();
      if (remaining > 0) {
        schedule(remaining);
        return;
      }
      deadline = NO_DEADLINE;
      expired(phase);
    }

    private void expired(Phase which) {
      switch (which) {
        case HEAD -> answerAndClose(408, "request header timeout");
        case BODY -> {
          if (!ctx.channel().config().isAutoRead()) {
            arm(limits.bodyTimeoutMs(), Phase.BODY); // the edge is not reading: not the client's delay
          } else if (watch.quiet(requests - 1)) {
            answerAndClose(408, "request body timeout");
          } else {
            refused = true;
            ctx.close();
          }
        }
        case WAIT -> {
          refused = true;
          ctx.close(); // idle keep-alive connection: closing it needs no answer (RFC 9112 §9.8)
        }
      }
    }

    /** Writes our own short answer, lets nothing else be written, and closes. */
    private void answerAndClose(int status, String text) {
      refused = true;
      cancel();
      watch.seal();
      if (watch.started() > watch.ended()) {
        ctx.close();
        return;
      }
      ctx.writeAndFlush(rawResponse(status, text)).addListener(ChannelFutureListener.CLOSE);
    }

    /** What this decoder would refuse in a request head, or null when the framing is sound. */
    static String framingRefusal(HttpMessage msg) {
      io.netty.handler.codec.http.HttpHeaders h = msg.headers();
      for (Map.Entry<String, String> e : h) {
        if (e.getKey().isEmpty()) {
          return "empty field name";
        }
      }
      List<String> te = h.getAll(HttpHeaderNames.TRANSFER_ENCODING);
      if (te.isEmpty()) {
        return null;
      }
      if (h.contains(HttpHeaderNames.CONTENT_LENGTH)) {
        return "ambiguous message framing: Content-Length with Transfer-Encoding";
      }
      if (te.size() > 1) {
        return "ambiguous message framing: more than one Transfer-Encoding";
      }
      if (!"chunked".equalsIgnoreCase(te.get(0).trim())) {
        return "ambiguous message framing: Transfer-Encoding other than chunked";
      }
      if (msg.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
        return "ambiguous message framing: Transfer-Encoding on HTTP/1.0";
      }
      return null;
    }
  }

  /** The bytes of one of our own short answers (the same shape as the edge's synthesised ones). */
  static ByteBuf rawResponse(int status, String text) {
    String reason = switch (status) {
      case 400 -> "Bad Request";
      case 408 -> "Request Timeout";
      case 429 -> "Too Many Requests";
      default -> "Service Unavailable";
    };
    String body = status + " " + text + "\n";
    String head = "HTTP/1.1 " + status + " " + reason + "\r\n"
        + "Content-Type: text/plain; charset=utf-8\r\n"
        + "Cache-Control: no-store\r\n"
        + (status == 429 || status == 503 ? "Retry-After: 1\r\n" : "")
        + "Connection: close\r\n"
        + "Content-Length: " + body.length() + "\r\n\r\n";
    return Unpooled.copiedBuffer(head + body, StandardCharsets.ISO_8859_1);
  }

  /**
   * Watches the responses Vert.x writes on the connection (interim 1xx ones aside), so the decoder
   * knows whether one is under way, and drops everything written after the decoder answered itself.
   */
  static final class ResponseWatch extends ChannelOutboundHandlerAdapter {
    Decoder decoder;
    private long started;
    private long ended;
    private boolean interim;
    private boolean sealed;

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
      if (sealed) {
        ReferenceCountUtil.release(msg);
        promise.setFailure(new ClosedChannelException());
        return;
      }
      if (msg instanceof HttpResponse r) {
        interim = r.status().codeClass() == HttpStatusClass.INFORMATIONAL;
        if (!interim) {
          started++;
        }
      }
      boolean last = msg instanceof LastHttpContent && !interim;
      if (msg instanceof LastHttpContent) {
        interim = false;
      }
      ctx.write(msg, promise);
      if (last) {
        ended++;
        decoder.responseEnded(ended);
      }
    }

    /** True when {@code answered} responses were started and all of them written whole. */
    boolean quiet(long answered) {
      return started == answered && ended == started;
    }

    long started() {
      return started;
    }

    long ended() {
      return ended;
    }

    void seal() {
      sealed = true;
    }
  }
}
