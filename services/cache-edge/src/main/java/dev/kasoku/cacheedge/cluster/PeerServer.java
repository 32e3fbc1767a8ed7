package dev.kasoku.cacheedge.cluster;

import dev.kasoku.cacheedge.policy.KeyFormat;
import dev.kasoku.cacheedge.policy.VaryKey;
import dev.kasoku.cacheedge.storage.Storage;
import dev.kasoku.cacheedge.storage.StoredObject;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.lang.System.Logger.Level;
import java.time.Clock;

/**
 * The owner's side of the peer port ({@link PeerProtocol}): authenticates the request
 * ({@link PeerAuth}), looks the object up in this edge's storage exactly as the request path does
 * (primary key, then the Vary secondary key computed from the forwarded client headers) and
 * streams it with the head the requester needs.
 *
 * <p>A GET goes to the engine's {@link PeerFiller} when there is one (peer fill on): answered from
 * storage, or filled from the origin on the peer's behalf, collapsed with this edge's own requests.
 * A HEAD, or any request without a filler, is answered from storage only ({@link PeerAnswers}).
 */
final class PeerServer implements Handler<HttpServerRequest> {
  private static final System.Logger LOG = System.getLogger(PeerServer.class.getName());

  private final String node;
  private final Storage storage;
  private final PeerAuth auth;
  private final Clock clock;
  /** Fills GETs of missing or stale keys from the origin; null: answers from storage only. */
  private final PeerFiller filler;

  PeerServer(String node, Storage storage, PeerAuth auth, Clock clock, PeerFiller filler) {
    this.filler = filler;
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
    MultiMap clientHeaders = clientHeaders(req.headers());
    if (filler != null && method.equals("GET")) {
      filler.serve(req, key, clientHeaders);
      return;
    }
    StoredObject o = lookup(key, clientHeaders);
    if (o == null) {
      PeerAnswers.miss(resp);
      return;
    }
    PeerAnswers.stored(resp, node, o, method.equals("HEAD"), clock.instant());
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
