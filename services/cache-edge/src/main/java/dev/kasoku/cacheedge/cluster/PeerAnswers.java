package dev.kasoku.cacheedge.cluster;

import dev.kasoku.cacheedge.policy.CacheControl;
import dev.kasoku.cacheedge.policy.Freshness;
import dev.kasoku.cacheedge.storage.Body;
import dev.kasoku.cacheedge.storage.StoredObject;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import java.lang.System.Logger.Level;
import java.time.Instant;

/**
 * The owner's answers on the peer port, in the {@link PeerProtocol} format: a stored object, a
 * miss, and the head of an answer being filled from the origin. Every answer carries the owner's
 * {@code Cache-Status} entry ({@code Kasoku-<node>; hit} or {@code Kasoku-<node>; fwd=…}) so the
 * requester's {@code Cache-Status} names both nodes.
 */
public final class PeerAnswers {
  private static final System.Logger LOG = System.getLogger(PeerAnswers.class.getName());

  private PeerAnswers() {}

  /** The name a node's entry of {@code Cache-Status} carries. */
  public static String cacheName(String node) {
    return dev.kasoku.cacheedge.policy.CacheStatus.CACHE_NAME + "-" + node;
  }

  /** Nothing for the request here: the requester goes to the origin. */
  public static void miss(HttpServerResponse resp) {
    resp.setStatusCode(404).putHeader(PeerProtocol.RESULT, PeerProtocol.MISS)
        .putHeader(HttpHeaders.CONTENT_LENGTH, "0").end();
  }

  /**
   * Streams a stored object, retained by the caller: this releases it once the last write completed
   * (or the connection closed), so an eviction meanwhile cannot free memory being sent.
   */
  public static void stored(HttpServerResponse resp, String node, StoredObject o, boolean head, Instant now) {
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
    long ttlMs = f.freshUntilMillis() - now.toEpochMilli();
    out.set(HttpHeaders.AGE, Long.toString(f.ageSeconds(now)))
        .set(PeerProtocol.RESULT, PeerProtocol.HIT)
        .set(PeerProtocol.STATE, PeerProtocol.state(state))
        .set(PeerProtocol.AGE_MS, Long.toString(f.currentAgeMillis(now)))
        .set(PeerProtocol.TTL_MS, Long.toString(ttlMs))
        .set(PeerProtocol.STORED_AT, Long.toString(f.responseTime().toEpochMilli()))
        .set("Cache-Status", cacheName(node) + "; hit; ttl=" + Math.floorDiv(ttlMs, 1000));
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

  /**
   * The head of an answer the owner is filling from the origin for the requester: the origin's
   * status and fields (as for a client), {@value PeerProtocol#RESULT}{@code : fill}, the age (0: it
   * left the origin just now) and remaining freshness ({@code ttlMillis}, 0 when the owner does not
   * store it), the tags, and the owner's {@code Cache-Status} entry {@code ownerStatus}. The body
   * follows as the origin sends it.
   */
  public static void fillHead(HttpServerResponse resp, int status, MultiMap originFields, long ttlMillis, Instant now,
                              java.util.Collection<String> tags, String ownerStatus) {
    MultiMap out = resp.headers();
    out.addAll(originFields);
    out.remove(HttpHeaders.TRANSFER_ENCODING);
    out.set(PeerProtocol.RESULT, PeerProtocol.FILL)
        .set(PeerProtocol.STATE, PeerProtocol.state(PeerResponse.State.FRESH))
        .set(PeerProtocol.AGE_MS, "0")
        .set(PeerProtocol.TTL_MS, Long.toString(ttlMillis))
        .set(PeerProtocol.STORED_AT, Long.toString(now.toEpochMilli()))
        .set("Cache-Status", ownerStatus);
    if (!tags.isEmpty()) {
      out.set(PeerProtocol.TAGS, String.join(" ", tags));
    }
    resp.setStatusCode(status);
    if (!out.contains(HttpHeaders.CONTENT_LENGTH)) {
      resp.setChunked(true);
    }
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
    Promise<Void> drained = Promise.promise();
    resp.drainHandler(v -> drained.tryComplete());
    resp.closeHandler(v -> drained.tryFail("connection closed"));
    return drained.future().compose(v -> writeChunks(resp, body, next));
  }
}
