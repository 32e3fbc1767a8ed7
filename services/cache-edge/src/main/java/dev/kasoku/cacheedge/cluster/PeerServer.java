package dev.kasoku.cacheedge.cluster;

import dev.kasoku.cacheedge.policy.CacheControl;
import dev.kasoku.cacheedge.policy.Freshness;
import dev.kasoku.cacheedge.policy.KeyFormat;
import dev.kasoku.cacheedge.policy.VaryKey;
import dev.kasoku.cacheedge.storage.Body;
import dev.kasoku.cacheedge.storage.Storage;
import dev.kasoku.cacheedge.storage.StoredObject;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Instant;

/**
 * The owner's side of the peer port ({@link PeerProtocol}): authenticates the request
 * ({@link PeerAuth}), looks the object up in this edge's storage exactly as the request path does
 * (primary key, then the Vary secondary key computed from the forwarded client headers) and
 * streams it with the head the requester needs.
 *
 * <p>It answers only from storage, never from the origin: filling on a peer's behalf, collapsed with
 * this edge's own requests, is the engine fill's part and comes with it. A stored body is retained
 * from the lookup until the last write of it completed (or the connection closed), so an eviction
 * meanwhile cannot free memory being sent.
 */
final class PeerServer implements Handler<HttpServerRequest> {
  private static final System.Logger LOG = System.getLogger(PeerServer.class.getName());

  private final String node;
  private final Storage storage;
  private final PeerAuth auth;
  private final Clock clock;

  PeerServer(String node, Storage storage, PeerAuth auth, Clock clock) {
    this.node = node;
    this.storage = storage;
    this.auth = auth;
    this.clock = clock;
  }

  @Override
  public void handle(HttpServerRequest req) {
    HttpServerResponse resp = req.response();
    resp.headers().set(PeerProtocol.OWNER, node);
    String key = req.getParam(PeerProtocol.KEY_PARAM);
    // authentication first, whatever the path: an unauthenticated caller learns nothing
    PeerAuth.Verdict verdict = auth.verify(req.headers(), req.method().name(), key == null ? "" : key);
    if (verdict != PeerAuth.Verdict.OK) {
      LOG.log(Level.DEBUG, "peer request from {0} refused: {1}", req.remoteAddress(), verdict);
      problem(resp, verdict.status(), "peer credentials refused: " + verdict.name().toLowerCase().replace('_', ' '));
      return;
    }
    if (!PeerProtocol.OBJECT_PATH.equals(req.path())) {
      problem(resp, 404, "no such peer endpoint");
      return;
    }
    String method = req.method().name();
    if (!method.equals("GET") && !method.equals("HEAD")) {
      resp.putHeader(HttpHeaders.ALLOW, "GET, HEAD");
      problem(resp, 405, "the peer port answers GET and HEAD");
      return;
    }
    if (key == null || key.isEmpty()) {
      problem(resp, 400, "the key parameter is required");
      return;
    }
    StoredObject o = lookup(key, clientHeaders(req.headers()));
    if (o == null) {
      resp.setStatusCode(404).putHeader(PeerProtocol.RESULT, PeerProtocol.MISS)
          .putHeader(HttpHeaders.CONTENT_LENGTH, "0").end();
      return;
    }
    send(resp, o, method.equals("HEAD"));
  }

  /** The stored object the request selects, retained; null on a miss. */
  private StoredObject lookup(String primary, MultiMap clientHeaders) {
    VaryKey vary = storage.varyOf(primary);
    String secondary = vary == null ? VaryKey.NONE : vary.secondaryKey(clientHeaders);
    if (secondary == null) {
      return null;
    }
    StoredObject o = storage.get(KeyFormat.full(primary, secondary));
    return o != null && o.body().tryRetain() ? o : null;
  }

  private void send(HttpServerResponse resp, StoredObject o, boolean head) {
    Instant now = clock.instant();
    Freshness f = o.freshness();
    PeerResponse.State state;
    if (o.forcedStale()) {
      state = PeerResponse.State.STALE;
    } else {
      state = switch (f.verdict(now, CacheControl.EMPTY)) {
        case FRESH -> PeerResponse.State.FRESH;
        case STALE_WHILE_REVALIDATE -> PeerResponse.State.STALE_WHILE_REVALIDATE;
        case STALE -> PeerResponse.State.STALE;
      };
    }
    MultiMap out = resp.headers();
    o.forEachHeader((n, v) -> {
      if (!n.equalsIgnoreCase("content-length") && !n.equalsIgnoreCase("transfer-encoding")
          && !n.equalsIgnoreCase("age")) {
        out.add(n, v);
      }
    });
    out.set(HttpHeaders.AGE, Long.toString(f.ageSeconds(now)))
        .set(PeerProtocol.RESULT, PeerProtocol.HIT)
        .set(PeerProtocol.STATE, PeerProtocol.state(state))
        .set(PeerProtocol.AGE_MS, Long.toString(f.currentAgeMillis(now)))
        .set(PeerProtocol.TTL_MS, Long.toString(f.freshUntilMillis() - now.toEpochMilli()))
        .set(PeerProtocol.STORED_AT, Long.toString(f.responseTime().toEpochMilli()));
    if (!o.tags().isEmpty()) {
      out.set(PeerProtocol.TAGS, String.join(" ", o.tags()));
    }
    Body body = o.body();
    out.set(HttpHeaders.CONTENT_LENGTH, Long.toString(body.length()));
    resp.setStatusCode(o.status());
    if (head || body.length() == 0) {
      resp.end().onComplete(ar -> body.release());
      return;
    }
    writeChunks(resp, body, 0).onComplete(ar -> {
      body.release();
      if (ar.failed()) {
        LOG.log(Level.DEBUG, "peer response of {0} not completed: {1}", o.primaryKey(), ar.cause().getMessage());
      }
    });
  }

  /** Writes chunk {@code i} onwards, waiting for the connection to drain whenever its queue is full. */
  private static Future<Void> writeChunks(HttpServerResponse resp, Body body, int i) {
    int n = body.chunkCount();
    while (i < n - 1 && !resp.writeQueueFull()) {
      resp.write(body.chunk(i++));
    }
    if (i == n - 1) {
      return resp.end(body.chunk(i));
    }
    int next = i;
    if (resp.closed()) {
      return Future.failedFuture("connection closed");
    }
    io.vertx.core.Promise<Void> drained = io.vertx.core.Promise.promise();
    resp.drainHandler(v -> drained.tryComplete());
    resp.closeHandler(v -> drained.tryFail("connection closed"));
    return drained.future().compose(v -> writeChunks(resp, body, next));
  }

  /** The client's fields as the requester forwarded them, without this protocol's own. */
  private static MultiMap clientHeaders(MultiMap received) {
    MultiMap out = MultiMap.caseInsensitiveMultiMap();
    received.forEach((n, v) -> {
      if (!n.regionMatches(true, 0, PeerProtocol.PREFIX, 0, PeerProtocol.PREFIX.length())) {
        out.add(n, v);
      }
    });
    return out;
  }

  private static void problem(HttpServerResponse resp, int status, String detail) {
    String body = "{\"type\":\"about:blank\",\"title\":\"" + (status == 401 ? "Unauthorized" : status == 403 ? "Forbidden"
        : status == 404 ? "Not Found" : status == 405 ? "Method Not Allowed" : "Bad Request") + "\",\"status\":"
        + status + ",\"detail\":\"" + detail + "\"}";
    resp.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, dev.kasoku.common.http.Problems.CONTENT_TYPE).end(body);
  }
}
