package dev.kasoku.cacheedge.engine;

import dev.kasoku.cacheedge.EdgeSettings;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameListener;
import io.netty.handler.codec.http2.Http2FrameListenerDecorator;
import io.netty.handler.codec.http2.Http2Settings;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.impl.HttpServerConnection;
import java.time.Clock;

/**
 * Bounds the HTTP/2 control frames a client may make the edge answer: PING and SETTINGS.
 *
 * <p>Every PING must be answered with a PING ack and every SETTINGS with a SETTINGS ack (RFC 9113
 * §6.5, §6.7), so a client that sends them in a loop makes the edge do work and write bytes for
 * nothing (CVE-2019-9512 "ping flood", CVE-2019-9515 "settings flood"). Netty already refuses a
 * client that lets more than 10,000 such acks pile up unread ({@code maxQueuedControlFrames}, on by
 * default in the handler Vert.x builds), but a client that reads its acks is answered forever:
 * 200,000 PINGs were all answered before this guard. It counts the frames per connection in a
 * window ({@code h2WindowMs}) and, past {@code h2PingsPerWindow} PINGs or
 * {@code h2SettingsPerWindow} SETTINGS, fails the connection with {@code ENHANCE_YOUR_CALM}: Netty
 * then sends GOAWAY and closes it, as it does for its own rapid-reset limit. Browsers send a few
 * PINGs a minute and SETTINGS once or twice per connection.
 *
 * <p>Vert.x exposes no option for this, so the guard wraps the frame listener of the connection's
 * Netty handler when the connection is handed to the edge (after the client's first SETTINGS, which
 * is therefore not counted). Time comes from the edge's clock.
 */
final class Http2ControlFrames extends Http2FrameListenerDecorator {
  private final EdgeSettings.Connections limits;
  private final Clock clock;
  private long windowStart;
  private int pings;
  private int settings;

  private Http2ControlFrames(Http2FrameListener listener, EdgeSettings.Connections limits, Clock clock) {
    super(listener);
    this.limits = limits;
    this.clock = clock;
    this.windowStart = clock.millis();
  }

  /** Wraps the frame listener of an HTTP/2 server connection; false when it is not one. */
  static boolean install(HttpConnection connection, EdgeSettings.Connections limits, Clock clock) {
    if (!(connection instanceof HttpServerConnection internal)) {
      return false;
    }
    Http2ConnectionHandler handler = internal.channelHandlerContext().pipeline().get(Http2ConnectionHandler.class);
    if (handler == null) {
      return false;
    }
    handler.decoder().frameListener(new Http2ControlFrames(handler.decoder().frameListener(), limits, clock));
    return true;
  }

  @Override
  public void onPingRead(ChannelHandlerContext ctx, long data) throws Http2Exception {
    roll();
    if (++pings > limits.h2PingsPerWindow()) {
      throw Http2Exception.connectionError(Http2Error.ENHANCE_YOUR_CALM, "too many PING frames");
    }
    super.onPingRead(ctx, data);
  }

  @Override
  public void onSettingsRead(ChannelHandlerContext ctx, Http2Settings s) throws Http2Exception {
    roll();
    if (++settings > limits.h2SettingsPerWindow()) {
      throw Http2Exception.connectionError(Http2Error.ENHANCE_YOUR_CALM, "too many SETTINGS frames");
    }
    super.onSettingsRead(ctx, s);
  }

  private void roll() {
    long now = clock.millis();
    if (now - windowStart >= limits.h2WindowMs()) {
      windowStart = now;
      pings = 0;
      settings = 0;
    }
  }
}
