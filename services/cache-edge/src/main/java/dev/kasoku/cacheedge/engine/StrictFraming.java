package dev.kasoku.cacheedge.engine;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpMessage;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.HttpServerConnection;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import java.util.List;

/**
 * Refuses HTTP/1.1 requests that carry both {@code Content-Length} and {@code Transfer-Encoding}.
 *
 * <p>RFC 9112 §6.1 lets a server either reject such a message or read it as chunked after dropping
 * the {@code Content-Length}; Netty does the latter inside its decoder, so by the time a request
 * reaches Vert.x the evidence is gone and the edge would forward it. Re-framing on forward already
 * keeps the origin in step with us, but the two lengths are the signature of a request-smuggling
 * attempt (CL.TE / TE.CL) against some hop in the chain, and a CDN should not relay it at all.
 *
 * <p>Vert.x has no option for this, so each HTTP/1.x connection's decoder is swapped, when the
 * connection is handed to us and before any request has been decoded, for one that marks such a
 * request as a decoding failure. Vert.x answers a failed request with 400 and closes the
 * connection, so neither the request nor anything after it on that connection reaches the
 * origin. The swap uses Vert.x's internal connection type and pipeline name ({@code httpDecoder});
 * {@code AttacksTest} fails if a Vert.x upgrade moves either.
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

  private StrictFraming() {}

  /**
   * A connection handler for {@code HttpServer.connectionHandler}: installs the strict decoder on an
   * HTTP/1.x connection (HTTP/2 connections have no such decoder and are left alone: HTTP/2 frames
   * carry their own lengths).
   */
  public static void install(HttpConnection connection, HttpServerOptions options) {
    if (!(connection instanceof HttpServerConnection internal)) {
      return;
    }
    ChannelPipeline pipeline = internal.channelHandlerContext().pipeline();
    ChannelHandler current = pipeline.get(DECODER);
    if (current != null && current.getClass() == VertxHttpRequestDecoder.class) {
      pipeline.replace(DECODER, DECODER, new Decoder(options));
    }
  }

  /**
   * Vert.x's request decoder, with both-lengths treated as malformed instead of as chunked. Once it
   * refused a request it decodes nothing more from the connection (which Vert.x closes after the
   * 400): bytes pipelined behind the refused request, such as a smuggled second request, would
   * otherwise be decoded and dispatched before the close.
   */
  static final class Decoder extends VertxHttpRequestDecoder {
    private boolean refused;

    Decoder(HttpServerOptions options) {
      super(options);
    }

    @Override
    protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
      super.handleTransferEncodingChunkedWithContentLength(message);
      message.setDecoderResult(DecoderResult.failure(
          new IllegalArgumentException("both Content-Length and Transfer-Encoding")));
      refused = true;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
      if (refused) {
        in.skipBytes(in.readableBytes());
        return;
      }
      super.decode(ctx, in, out);
    }
  }
}
