package dev.kasoku.cacheedge.cluster;

import dev.kasoku.cacheedge.policy.Headers;
import dev.kasoku.common.model.EdgeMember;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * {@link PeerClient} over HTTP/1.1 to the owner's peer port ({@link PeerProtocol}), on kept-alive
 * connections (at most 32 per owner). Every request is signed ({@link PeerAuth}) and bounded: the connect budget (default
 * 50 ms: edges of one cluster are a network hop apart, and a peer that cannot be reached in that
 * time is cheaper to skip than to wait for), an idle budget for each body read, and a deadline of
 * both budgets together for the answer's head, whatever holds it up. A failure is a
 * {@link PeerException}; the caller decides what to do (skip the owner), this class neither
 * retries nor marks anyone.
 *
 * <p>An idle connection is dropped after {@link #KEEP_ALIVE_TIMEOUT_S} seconds, half the owner's
 * peer listener idle timeout, so the owner never closes one under a request that is being sent.
 * A connection per request instead would cost every peer request a connect and leave a socket in
 * TIME_WAIT behind it: at thousands of peer requests a second that exhausts the ephemeral ports.
 *
 * <p>The exchange is always built on a Vert.x context: called from another thread (a test, a
 * tool), {@link #fetch} moves to one first. Chained from a foreign thread, the steps after a
 * request on a pooled connection are attached while the event loop already delivers the answer,
 * and a body read attached after its end never completes (Vert.x issues 5904 and 6038).
 */
public final class HttpPeerClient implements PeerClient {
  private final HttpClient client;
  private final PeerAuth auth;
  private final String self;
  private final long connectTimeoutMs;
  private final long idleTimeoutMs;
  private final Vertx vertx;
  /** Seconds an idle connection to an owner is kept: half of the peer listener's idle timeout. */
  static final int KEEP_ALIVE_TIMEOUT_S = EdgeCluster.PEER_IDLE_TIMEOUT_S / 2;

  public HttpPeerClient(Vertx vertx, PeerAuth auth, String self, Duration connectTimeout, Duration idleTimeout) {
    this.vertx = vertx;
    this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setKeepAliveTimeout(KEEP_ALIVE_TIMEOUT_S).setTcpNoDelay(true)
        .setConnectTimeout((int) connectTimeout.toMillis()), new PoolOptions().setHttp1MaxSize(32));
    this.auth = auth;
    this.self = self;
    this.connectTimeoutMs = connectTimeout.toMillis();
    this.idleTimeoutMs = idleTimeout.toMillis();
  }

  @Override
  public Future<PeerResponse> fetch(EdgeMember owner, PeerRequest request) {
    if (Vertx.currentContext() != null) {
      return send(owner, request);
    }
    Promise<PeerResponse> sent = Promise.promise();
    vertx.getOrCreateContext().runOnContext(v -> send(owner, request).onComplete(sent));
    return sent.future();
  }

  private Future<PeerResponse> send(EdgeMember owner, PeerRequest request) {
    RequestOptions options = new RequestOptions()
        .setMethod(HttpMethod.valueOf(request.method()))
        .setHost(owner.peerHost())
        .setPort(owner.peerPort())
        .setURI(PeerProtocol.OBJECT_PATH + "?" + PeerProtocol.KEY_PARAM + "="
            + URLEncoder.encode(request.primaryKey(), StandardCharsets.UTF_8))
        .setConnectTimeout(connectTimeoutMs)
        .setIdleTimeout(idleTimeoutMs);
    MultiMap headers = options.getHeaders() == null ? MultiMap.caseInsensitiveMultiMap() : options.getHeaders();
    request.headers().forEach((n, v) -> {
      if (forwarded(n)) {
        headers.add(n, v);
      }
    });
    auth.sign(headers, request.method(), request.primaryKey(), self);
    options.setHeaders(headers);
    Promise<PeerResponse> answered = Promise.promise();
    long deadline = vertx.setTimer(connectTimeoutMs + idleTimeoutMs, id -> answered.tryFail(
        new PeerException(PeerException.Kind.TIMEOUT, owner.node(), "no answer within "
            + (connectTimeoutMs + idleTimeoutMs) + " ms", null)));
    client.request(options)
        // no connection within the connect budget (refused, or Vert.x's timeout for getting one)
        .recover(t -> Future.failedFuture(new PeerException(PeerException.Kind.UNREACHABLE, owner.node(),
            String.valueOf(t.getMessage()), t)))
        .compose(req -> req.send().recover(t -> Future.failedFuture(failure(owner, t))))
        .compose(resp -> answer(owner, resp))
        .onComplete(ar -> {
          vertx.cancelTimer(deadline);
          boolean inTime = ar.succeeded() ? answered.tryComplete(ar.result()) : answered.tryFail(ar.cause());
          if (!inTime && ar.succeeded()
              && ar.result() instanceof PeerResponse.Found late) {
            late.abort().run(); // the caller went on without it: nothing reads this body
          }
        });
    return answered.future();
  }

  private Future<PeerResponse> answer(EdgeMember owner, HttpClientResponse resp) {
    String result = resp.getHeader(PeerProtocol.RESULT);
    if (PeerProtocol.MISS.equals(result)) {
      return resp.body().map(b -> new PeerResponse.NotHere(owner.node()));
    }
    if (!PeerProtocol.HIT.equals(result) && !PeerProtocol.FILL.equals(result)) {
      int status = resp.statusCode();
      PeerException.Kind kind = status == 401 || status == 403 ? PeerException.Kind.REFUSED : PeerException.Kind.PROTOCOL;
      return resp.body().transform(ar -> Future.failedFuture(
          new PeerException(kind, owner.node(), "status " + status + " without " + PeerProtocol.RESULT, null)));
    }
    // the caller pipes the body; nothing may flow before it has a handler
    resp.pause();
    try {
      MultiMap head = MultiMap.caseInsensitiveMultiMap();
      resp.headers().forEach((n, v) -> {
        if (!n.regionMatches(true, 0, PeerProtocol.PREFIX, 0, PeerProtocol.PREFIX.length())) {
          head.add(n, v);
        }
      });
      String tags = resp.getHeader(PeerProtocol.TAGS);
      List<String> tagList = tags == null || tags.isBlank() ? List.of() : Arrays.asList(tags.trim().split(" +"));
      return Future.succeededFuture(new PeerResponse.Found(owner.node(), resp.statusCode(), head,
          Long.parseLong(resp.getHeader(PeerProtocol.AGE_MS)), Long.parseLong(resp.getHeader(PeerProtocol.TTL_MS)),
          Instant.ofEpochMilli(Long.parseLong(resp.getHeader(PeerProtocol.STORED_AT))),
          PeerProtocol.state(resp.getHeader(PeerProtocol.STATE)), List.copyOf(tagList), resp,
          PeerProtocol.FILL.equals(result), () -> resp.request().reset()));
    } catch (RuntimeException e) {
      // a head this edge cannot read: the connection is not reused with a body half read
      resp.request().reset();
      return Future.failedFuture(new PeerException(PeerException.Kind.PROTOCOL, owner.node(), e.getMessage(), e));
    }
  }

  private static PeerException failure(EdgeMember owner, Throwable t) {
    if (t instanceof PeerException p) {
      return p;
    }
    // Netty's connect timeout is a ConnectException too; Vert.x's idle timeout a TimeoutException
    PeerException.Kind kind = t instanceof TimeoutException ? PeerException.Kind.TIMEOUT
        : PeerException.Kind.UNREACHABLE;
    return new PeerException(kind, owner.node(), String.valueOf(t.getMessage()), t);
  }

  /** Client fields the owner may need for its Vary selection: not hop-by-hop, not Host, not ours. */
  private static boolean forwarded(String name) {
    String n = name.toLowerCase(java.util.Locale.ROOT);
    return !Headers.HOP_BY_HOP.contains(n) && !n.equals("host") && !n.equals("content-length")
        && !n.startsWith(PeerProtocol.PREFIX);
  }

  /** Closes the pooled connections. */
  public Future<Void> close() {
    return client.close();
  }
}
