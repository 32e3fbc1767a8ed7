package dev.kasoku.cacheedge.engine;

import dev.kasoku.cacheedge.cluster.PeerAnswers;
import dev.kasoku.cacheedge.cluster.PeerFiller;
import dev.kasoku.cacheedge.origin.OriginClients;
import dev.kasoku.cacheedge.origin.OriginException;
import dev.kasoku.cacheedge.policy.CacheControl;
import dev.kasoku.cacheedge.policy.CacheKey;
import dev.kasoku.cacheedge.policy.CacheStatus;
import dev.kasoku.cacheedge.policy.CanonicalRequest;
import dev.kasoku.cacheedge.policy.Freshness;
import dev.kasoku.cacheedge.policy.Headers;
import dev.kasoku.cacheedge.policy.KeyFormat;
import dev.kasoku.cacheedge.policy.MalformedRequestException;
import dev.kasoku.cacheedge.policy.VaryKey;
import dev.kasoku.cacheedge.sites.EdgeSite;
import dev.kasoku.cacheedge.storage.StoredObject;
import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.lang.System.Logger.Level;

/**
 * The owner's side of a peer fill ({@link PeerFiller}): a peer's GET for a key this edge owns goes
 * through the same lookup, collapsing and {@link Fill} as this edge's own clients' requests, so
 * however many edges miss one key at once, the origin sees one request, and what is filled is
 * stored here, at the owner.
 *
 * <pre>
 *  lookup ──fresh / stale-while-revalidate──▶ the stored copy (+ background revalidation)
 *     │ └─stale──▶ lead the key's flight ──▶ Fill (revalidating) ──304 / stale-if-error──▶ the stored copy
 *     │                                                          └─200──▶ streamed while stored
 *     └─absent──▶ lead the key's flight ──▶ Fill ──▶ streamed (while stored, when cacheable)
 *        └─a flight is on──▶ wait ──STORED──▶ lookup again  ──otherwise──▶ "miss" (the peer asks the origin)
 * </pre>
 *
 * <p>A site that turned peer fill off ({@code "peerFill": false}) is answered from storage only:
 * a fresh copy (or one within stale-while-revalidate) is sent, anything else is "miss", and the
 * origin is never asked on a peer's behalf for it.
 *
 * <p>Runs on its edge instance's event loop (the peer listener is bound there), with that
 * instance's origin connections. The requester sees a peer answer: {@code Kasoku-Peer-Result: hit}
 * for a stored copy, {@code fill} for one streamed from the origin, each with this node's
 * {@code Cache-Status} entry.
 */
final class OwnerFill implements PeerFiller {
  private static final System.Logger LOG = System.getLogger(OwnerFill.class.getName());

  private final EdgeServerVerticle edge;
  private final EdgeRuntime rt;
  private final String cacheName;

  OwnerFill(EdgeServerVerticle edge) {
    this.edge = edge;
    this.rt = edge.runtime();
    this.cacheName = PeerAnswers.cacheName(rt.settings().nodeId());
  }

  @Override
  public Context context() {
    return edge.ctx();
  }

  @Override
  public void serve(HttpServerRequest req, String primaryKey, MultiMap clientHeaders) {
    String host = KeyFormat.host(primaryKey);
    String uri = KeyFormat.uri(primaryKey);
    EdgeSite site = host == null ? null : rt.sites().lookup(CacheKey.hostName(host));
    CanonicalRequest canon = null;
    if (site != null) {
      try {
        canon = CacheKey.canonicalize(site.compiled(), "GET", host, uri);
      } catch (MalformedRequestException e) {
        canon = null;
      }
    }
    if (canon == null || !canon.cacheable() || !canon.primaryKey().equals(primaryKey)) {
      // not a key this edge would cache (another site table, a rule changed): the peer asks the origin
      PeerAnswers.miss(req.response());
      return;
    }
    // a site with peer fill off is answered from storage only, as by an edge with KASOKU_EDGE_PEER_FILL=off
    new Exchange(req, site, canon, clientHeaders).lookup(site.compiled().peerFill());
  }

  /** One peer request at the owner. */
  private final class Exchange implements Fill.Follower {
    private final HttpServerRequest req;
    private final HttpServerResponse resp;
    private final EdgeSite site;
    private final CanonicalRequest canon;
    private final MultiMap clientHeaders;
    private final CacheControl requestCc;
    private StoredObject stale;
    private Fill fill;
    private boolean streaming;
    private boolean gone;

    Exchange(HttpServerRequest req, EdgeSite site, CanonicalRequest canon, MultiMap clientHeaders) {
      this.req = req;
      this.resp = req.response();
      this.site = site;
      this.canon = canon;
      this.clientHeaders = clientHeaders;
      this.requestCc = CacheControl.of(clientHeaders);
      resp.closeHandler(v -> {
        gone = true;
        if (fill != null && streaming) {
          fill.release(this);
        }
      });
    }

    void lookup(boolean mayWait) {
      String primary = canon.primaryKey();
      VaryKey vary = rt.storage().varyOf(primary);
      String secondary = vary == null ? VaryKey.NONE : vary.secondaryKey(clientHeaders);
      String key = secondary == null ? primary : KeyFormat.full(primary, secondary);
      StoredObject o = secondary == null ? null : rt.storage().get(key);
      if (o != null && o.body().tryRetain()) {
        Freshness.Verdict v = o.forcedStale() ? o.freshness().softPurgedVerdict(requestCc)
            : o.freshness().verdict(rt.clock().instant(), requestCc);
        if (v != Freshness.Verdict.STALE) {
          if (v == Freshness.Verdict.STALE_WHILE_REVALIDATE) {
            BackgroundRevalidation.start(edge, site, canon, key, o, clientHeaders, forwarding());
          }
          PeerAnswers.stored(resp, rt.settings().nodeId(), o, false, rt.clock().instant());
          return;
        }
        stale = o; // retained: released once answered
      }
      if (!mayWait) {
        answerMiss();
        return;
      }
      boolean[] lead = new boolean[1];
      Collapser.Flight flight = rt.collapser().enter(key, lead);
      if (!lead[0]) {
        boolean waiting = flight.await(edge.ctx(), rt.settings().collapseWaitMs(), outcome -> {
          if (outcome == Collapser.Outcome.STORED && !gone) {
            releaseStale();
            lookup(false);
          } else {
            answerMiss();
          }
        });
        if (!waiting) {
          releaseStale();
          lookup(false);
        }
        return;
      }
      MultiMap h = OriginClients.newHeaders(false);
      Fill.requestHeaders(clientHeaders, forwarding(), h, stale);
      Fill.Spec spec = new Fill.Spec(site, canon, clientHeaders, requestCc, forwarding(), stale, Fill.Sink.STORE);
      OriginUpstream upstream = new OriginUpstream(edge, site, HttpMethod.GET, canon.uri(), h, null, null);
      fill = new Fill(edge, spec, upstream, flight).follow(this);
      fill.start();
    }

    private Headers.Forwarding forwarding() {
      String ip = req.remoteAddress() == null ? "unknown" : req.remoteAddress().hostAddress();
      return new Headers.Forwarding(ip, false, false, canon.host(), "1.1", rt.settings().nodeId());
    }

    private void answerMiss() {
      releaseStale();
      if (!gone && !resp.headWritten()) {
        PeerAnswers.miss(resp);
      }
    }

    private void releaseStale() {
      if (stale != null) {
        stale.body().release();
        stale = null;
      }
    }

    @Override
    public void head(Fill f) {
      switch (f.outcome()) {
        case REFRESHED -> {
          StoredObject o = f.refreshed() != null ? f.refreshed() : stale; // shares the retained body
          stale = null;
          PeerAnswers.stored(resp, rt.settings().nodeId(), o, false, rt.clock().instant());
        }
        case STALE_ON_ERROR -> {
          StoredObject o = stale;
          stale = null;
          PeerAnswers.stored(resp, rt.settings().nodeId(), o, false, rt.clock().instant());
        }
        default -> {
          releaseStale();
          if (gone) {
            f.release(this);
            return;
          }
          int status = f.response().statusCode();
          CacheStatus cs = CacheStatus.fwd(CacheStatus.Fwd.URI_MISS)
              .name(cacheName).fwdStatus(status).stored(f.storing());
          long ttlMs = 0;
          if (f.storing()) {
            long ttl = f.freshness().ttlSeconds(rt.clock().instant());
            cs.ttl(ttl);
            ttlMs = ttl * 1000;
          } else if (f.notStoredReason() != null) {
            cs.detail(f.notStoredReason());
          }
          MultiMap fields = MultiMap.caseInsensitiveMultiMap();
          Headers.copyForClient(f.response().headers(), fields);
          PeerAnswers.fillHead(resp, status, fields, ttlMs, rt.clock().instant(),
              Headers.surrogateKeys(f.response().headers()), cs.value());
          streaming = true;
        }
      }
    }

    @Override
    public boolean data(Buffer data) {
      if (gone) {
        return true;
      }
      resp.write(data);
      if (resp.writeQueueFull()) {
        Fill f = fill;
        resp.drainHandler(v -> f.resume(this));
        return false;
      }
      return true;
    }

    @Override
    public void end(StoredObject copy) {
      if (!gone) {
        resp.end();
      }
    }

    @Override
    public void failed(OriginException e) {
      releaseStale();
      if (gone) {
        return;
      }
      if (!streaming) {
        // the origin did not answer us: nor will it the peer, but the peer decides that for itself
        LOG.log(Level.DEBUG, "peer fill of {0} failed: {1}", canon.uri(), e.getMessage());
        answerMiss();
      } else {
        resp.reset(); // broke off mid-body: the peer's client sees a broken response, as from the origin
      }
    }
  }
}
