package dev.kasoku.cacheedge.origin;

import dev.kasoku.cacheedge.origin.OriginException.Kind;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.vertx.core.internal.ContextInternal;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * The keep-alive connections of one tenant to one origin address on one event loop: at most
 * {@code maxSize} open, idle ones reused last-in first-out (so a few stay warm and the rest age out
 * after the keep-alive time), requests beyond the limit queued up to {@code maxWaiting}.
 *
 * <p>A request that fails because a reused connection turned out to be closed by the origin before
 * any byte of the response (the keep-alive race every proxy meets) is sent once more on a new
 * connection when it is idempotent and has no body, as RFC 9110 §9.2.2 allows.
 *
 * <p>Used on its event loop only.
 */
final class OriginPool {
  private final OriginClients clients;
  private final ContextInternal context;
  private final InetSocketAddress address;
  private final SslContext ssl;
  private final String sniHost;
  private final int maxSize;
  private final int maxWaiting;
  private final ArrayDeque<OriginConnection> idle = new ArrayDeque<>();
  private final ArrayDeque<OriginRequest> waiting = new ArrayDeque<>();
  private final Set<OriginConnection> open = new HashSet<>();
  private int size;

  OriginPool(OriginClients clients, ContextInternal context, InetSocketAddress address, SslContext ssl,
             String sniHost, int maxSize, int maxWaiting) {
    this.clients = clients;
    this.context = context;
    this.address = address;
    this.ssl = ssl;
    this.sniHost = sniHost;
    this.maxSize = maxSize;
    this.maxWaiting = maxWaiting;
  }

  void submit(OriginRequest r) {
    OriginConnection c;
    while ((c = idle.pollLast()) != null) {
      if (c.usable()) {
        c.start(r);
        return;
      }
    }
    if (size < maxSize) {
      connect(r);
    } else if (waiting.size() < maxWaiting) {
      waiting.add(r);
    } else {
      r.promise.tryFail(new OriginException(Kind.CONNECT, "origin connection pool full", true));
    }
  }

  /** A connection finished an exchange cleanly: the next waiting request takes it, else it idles. */
  void release(OriginConnection c) {
    OriginRequest next = waiting.poll();
    if (next != null) {
      c.start(next);
      return;
    }
    c.idleSince = clients.ticker().read();
    idle.addLast(c);
  }

  /**
   * Called with a failed request that got no response byte: true when it is sent again (see the
   * class comment), false when the failure stands.
   */
  boolean retry(OriginRequest r, OriginConnection failed, OriginException e) {
    if (r.retried || !failed.reused() || r.body != null || !r.idempotent() || e.kind() == Kind.TIMEOUT
        || e.kind() == Kind.INVALID_RESPONSE) {
      return false;
    }
    r.retried = true;
    if (size <= maxSize) { // the failed connection still counts until its close completes
      connect(r); // a new connection: the other idle ones may be just as stale
    } else {
      submit(r);
    }
    return true;
  }

  /** The connection closed (or never opened): it no longer counts, and a waiting request may connect. */
  void gone(OriginConnection c) {
    if (!c.markGone()) {
      return;
    }
    size--;
    open.remove(c);
    idle.remove(c);
    if (!waiting.isEmpty() && size < maxSize) {
      connect(waiting.poll());
    }
  }

  private void connect(OriginRequest first) {
    size++;
    OriginConnection c = new OriginConnection(this, context, clients.ticker(), clients.readTimeoutMs());
    open.add(c);
    Bootstrap b = clients.bootstrap().clone().handler(new ChannelInitializer<Channel>() {
      @Override
      protected void initChannel(Channel ch) {
        if (ssl != null) {
          SslHandler tls = ssl.newHandler(ch.alloc(), sniHost, address.getPort());
          tls.setHandshakeTimeoutMillis(clients.connectTimeoutMs());
          ch.pipeline().addLast("tls", tls);
        }
        c.install(ch);
      }
    });
    ChannelFuture connected = b.connect(address);
    connected.addListener(f -> context.emit(null, v -> {
      if (!f.isSuccess()) {
        gone(c);
        first.promise.tryFail(unsent(f.cause()));
        return;
      }
      Channel ch = connected.channel();
      if (ssl == null) {
        c.start(first);
        return;
      }
      ch.pipeline().get(SslHandler.class).handshakeFuture().addListener(h -> context.emit(null, w -> {
        if (h.isSuccess() && c.usable()) {
          c.start(first);
        } else {
          c.close();
          first.promise.tryFail(unsent(h.cause() == null ? new IllegalStateException("TLS handshake failed") : h.cause()));
        }
      }));
    }));
  }

  private static OriginException unsent(Throwable t) {
    OriginException e = OriginException.of(t);
    return new OriginException(e.kind(), e.getMessage(), true);
  }

  /** Closes idle connections unused since {@code idleBefore} (a reading of the clients' ticker). */
  void sweep(long idleBefore) {
    for (Iterator<OriginConnection> it = idle.iterator(); it.hasNext(); ) {
      OriginConnection c = it.next();
      if (c.idleSince - idleBefore < 0) {
        it.remove();
        c.close();
      }
    }
  }

  boolean unused() {
    return size == 0 && waiting.isEmpty();
  }

  /** Closes every connection, busy ones included (their exchanges fail), and fails the waiting. */
  void closeAll() {
    for (OriginConnection c : List.copyOf(open)) {
      c.close();
    }
    idle.clear();
    for (OriginRequest r : waiting) {
      r.promise.tryFail(new OriginException(Kind.CONNECT, "origin pool closed", true));
    }
    waiting.clear();
  }
}
