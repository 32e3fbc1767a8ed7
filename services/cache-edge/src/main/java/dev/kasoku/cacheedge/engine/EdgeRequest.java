package dev.kasoku.cacheedge.engine;

import dev.kasoku.cacheedge.origin.OriginClients;
import dev.kasoku.cacheedge.origin.OriginException;
import dev.kasoku.cacheedge.origin.OriginResponse;
import dev.kasoku.cacheedge.policy.CacheControl;
import dev.kasoku.cacheedge.policy.CacheKey;
import dev.kasoku.cacheedge.policy.CacheStatus;
import dev.kasoku.cacheedge.policy.CanonicalRequest;
import dev.kasoku.cacheedge.policy.Freshness;
import dev.kasoku.cacheedge.policy.Headers;
import dev.kasoku.cacheedge.sites.EdgeSite;
import dev.kasoku.cacheedge.storage.StoredObject;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.SocketAddress;
import java.lang.System.Logger.Level;

/**
 * One client request through the edge, as an explicit state machine (after Varnish's
 * {@code cache_req_fsm.c}): each {@link Step} is one method that does its work and returns the next
 * step, or null when it continues asynchronously and will call {@link #go} itself. The whole flow:
 *
 * <pre>
 *  RECV ──(cacheable GET/HEAD)──▶ LOOKUP ──fresh──▶ HIT ──▶ DELIVER
 *    │                              │ └─stale-while-revalidate─▶ HIT (+ one background revalidation)
 *    │                              │ └─stale──▶ REVALIDATE ──▶ SEND ──304 / stale-if-error──▶ DELIVER
 *    │                              │                              └─200──▶ (stream + store) DELIVER
 *    │                              └─absent──▶ MISS ──leader──▶ FETCH ──▶ SEND ──▶ (stream + store) DELIVER
 *    │                                            (SEND of a GET whose key another live edge owns asks that owner:
 *    │                                             {@link PeerUpstream}; stored here only when the key is hot here)
 *    │                                            └─waiter──(flight landed)──▶ LOOKUP | FETCH
 *    ├──(any other method, body, rule cache:false)──▶ PASS ──▶ SEND ──▶ DELIVER (stream)
 *    └──(unknown host, bad request, origin failure)──▶ SYNTH
 * </pre>
 *
 * <p>This class is the client side only. SEND starts a {@link Fill} (the origin exchange, the store
 * decision, the body writer, the key's flight) and this request follows it; {@link Delivery} writes
 * what DELIVER and SYNTH chose. An instance lives on its connection's event loop; collapsed-flight
 * wake-ups are dispatched back to it by {@link Collapser}. Nothing here blocks.
 *
 * <p><b>Memory safety.</b> A stored body is retained from LOOKUP until the response carrying it has
 * been written or abandoned ({@link #releaseStored}). <b>Shared fills survive their client:</b> when
 * the client goes away its fill goes on if the object is being stored (others wait on it); a pure
 * pass-through is reset instead.
 */
final class EdgeRequest implements Fill.Follower {
  private static final System.Logger LOG = System.getLogger(EdgeRequest.class.getName());

  /** The steps of the request state machine. */
  enum Step { RECV, LOOKUP, HIT, MISS, FETCH, REVALIDATE, PASS, SEND, DELIVER, SYNTH }

  /** What the origin exchange is for. */
  private enum Mode { FILL, REVALIDATE, PASS }

  private final EdgeServerVerticle edge;
  private final EdgeRuntime rt;
  private final HttpServerRequest req;
  private final HttpServerResponse resp;
  private final Delivery delivery;
  private final long startNanos;
  /** The client's address as text (forwarding fields, access log), formatted once; null when unknown. */
  private final String clientIp;

  private EdgeSite site;
  private String hostNorm;
  private CanonicalRequest canon;
  private CacheControl requestCc;
  /** The client's body as forwarded, bounded by the site's maxRequestBody; null without one. */
  private BoundedBody body;
  private boolean closeAfter;

  private String lookupKey;
  private StoredObject stored;
  private boolean storedRetained;
  private Freshness.Verdict verdict;
  private CacheStatus.Fwd missKind = CacheStatus.Fwd.URI_MISS;
  private final Collapsing collapsing;

  private Mode mode;
  /** The origin exchange this request follows (the latest, when a range miss turned into a pass). */
  private Fill fill;
  private long originBytesBefore;
  /** The origin response to stream to the client, from its head on. */
  private OriginResponse streaming;
  private boolean bodyInProgress;
  private boolean awaitingCopy;
  /** Resumes the fill once the client's write queue drained (one per request, not one per pause). */
  private final Runnable resumeFill = () -> fill.resume(this);

  private CacheStatus cacheStatus;
  private String logStatus = "miss";
  private int synthStatus;
  private String synthText;
  private boolean clientGone;
  private boolean finished;

  EdgeRequest(EdgeServerVerticle edge, HttpServerRequest req) {
    this.edge = edge;
    this.rt = edge.runtime();
    this.req = req;
    this.resp = req.response();
    this.delivery = new Delivery(req, edge.via(Protocol.of(req.version())), () -> clientGone, this::finish);
    this.startNanos = rt.ticker().read();
    this.collapsing = new Collapsing(rt.collapser());
    SocketAddress peer = req.remoteAddress();
    this.clientIp = peer == null ? null : peer.hostAddress();
  }

  void run() {
    resp.closeHandler(v -> onClientGone());
    go(Step.RECV);
  }

  /** Runs steps until one continues asynchronously (returns null). */
  private void go(Step next) {
    try {
      while (next != null) {
        next = switch (next) {
          case RECV -> recv();
          case LOOKUP -> lookup();
          case HIT -> hit();
          case MISS -> miss();
          case FETCH -> fetch();
          case REVALIDATE -> revalidate();
          case PASS -> pass();
          case SEND -> send();
          case DELIVER -> deliver();
          case SYNTH -> synth();
        };
      }
    } catch (RuntimeException e) {
      LOG.log(Level.ERROR, "edge request failed in a step: " + req.method() + " " + req.uri(), e);
      abortWith(500, "internal error");
    }
  }

  // ---------------------------------------------------------------- RECV

  /** Admits the request, finds the site, canonicalises the target, picks lookup or pass. */
  private Step recv() {
    Admission a = Admission.of(req, rt.sites());
    closeAfter = a.closeAfter();
    site = a.site(); // host and site as far as found, also for a refusal: the access log names them
    hostNorm = a.host();
    canon = a.canon();
    if (a.refused()) {
      return synth(a.status(), a.refusal());
    }
    if (a.hasBody()) {
      req.pause(); // the body is piped to the origin once connected
      body = new BoundedBody(req, site.compiled().maxRequestBody());
    }
    requestCc = CacheControl.of(req.headers());
    if (!canon.cacheable()) {
      boolean byRule = CacheKey.isCacheableMethod(canon.method());
      cacheStatus = CacheStatus.fwd(byRule ? CacheStatus.Fwd.BYPASS : CacheStatus.Fwd.METHOD)
          .detail(byRule ? "rule" : null);
      return Step.PASS;
    }
    if (a.hasBody()) {
      // a GET or HEAD with a body is never answered from, nor stored in, the cache
      cacheStatus = CacheStatus.fwd(CacheStatus.Fwd.BYPASS).detail("request-body");
      return Step.PASS;
    }
    return Step.LOOKUP;
  }

  // ---------------------------------------------------------------- LOOKUP / HIT / MISS

  /** Looks the request up in storage ({@link Lookup}); decides hit, stale or miss. */
  private Step lookup() {
    collapsing.lookedUp();
    releaseStored();
    if (clientGone) {
      finish(); // woken from a collapsed wait after the client left: nothing to serve
      return null;
    }
    Lookup found = Lookup.of(rt.storage(), canon, req.headers(), requestCc, rt.clock());
    lookupKey = found.key();
    if (found.object() == null) {
      missKind = found.missKind();
      return Step.MISS;
    }
    stored = found.object();
    storedRetained = true;
    verdict = found.verdict();
    return switch (verdict) {
      case FRESH -> Step.HIT;
      case STALE_WHILE_REVALIDATE -> {
        BackgroundRevalidation.start(edge, site, canon, lookupKey, stored, req.headers(), forwarding());
        yield Step.HIT;
      }
      default -> Step.REVALIDATE;
    };
  }

  private Step hit() {
    boolean stale = verdict != Freshness.Verdict.FRESH;
    logStatus = stale ? "stale" : "hit";
    cacheStatus = CacheStatus.hit().ttl(ttl()).collapsed(collapsing.collapsed())
        .detail(stale ? "stale-while-revalidate" : null);
    return Step.DELIVER;
  }

  /** Joins the key's flight as a waiter, or leads it (FETCH). */
  private Step miss() {
    Collapser.Flight running = collapsing.leadOrJoin(lookupKey);
    return running == null ? Step.FETCH : await(running);
  }

  /** Waits (bounded) for a flight to land, then looks up again or goes to the origin itself. */
  private Step await(Collapser.Flight f) {
    boolean waiting = f.await(edge.ctx(), rt.settings().collapseWaitMs(), outcome -> {
      boolean lookAgain = collapsing.landed(outcome);
      if (clientGone) {
        finish(); // nothing to serve (onClientGone finished the request already)
      } else {
        go(lookAgain ? Step.LOOKUP : Step.FETCH);
      }
    });
    return waiting ? null : Step.LOOKUP; // not waiting: it landed meanwhile
  }

  // ---------------------------------------------------------------- FETCH / REVALIDATE / PASS / SEND

  private Step fetch() {
    releaseStored();
    mode = canon.method().equals("GET") ? Mode.FILL : Mode.PASS;
    if (mode == Mode.PASS) {
      cacheStatus = CacheStatus.fwd(missKind); // a HEAD miss is forwarded as is (the stored GET answers later HEADs)
    }
    return Step.SEND;
  }

  /** A stale object: one collapsed conditional request (validators of the stored response). */
  private Step revalidate() {
    Collapser.Flight running = collapsing.leadOrJoin(lookupKey);
    if (running != null) {
      releaseStored();
      return await(running);
    }
    mode = canon.method().equals("GET") ? Mode.REVALIDATE : Mode.PASS;
    return Step.SEND;
  }

  private Step pass() {
    mode = Mode.PASS;
    logStatus = "pass";
    return Step.SEND;
  }

  /**
   * Starts the {@link Fill} this request follows: one that may be stored (FILL, REVALIDATE: the
   * key's flight goes with it) or a pass.
   */
  private Step send() {
    if (fill != null) {
      originBytesBefore += fill.bodyBytes();
    }
    streaming = null;
    StoredObject revalidating = mode == Mode.REVALIDATE ? stored : null;
    Fill.Spec spec = new Fill.Spec(site, canon, req.headers(), requestCc, forwarding(), revalidating,
        mode == Mode.PASS ? Fill.Sink.NONE : Fill.Sink.STORE);
    MultiMap h = spec.originHeaders(OriginClients.newHeaders(req.version() == HttpVersion.HTTP_2));
    OriginUpstream origin = new OriginUpstream(edge, site, req.method(), canon.uri(), h, body,
        fields -> delivery.earlyHints(fields, finished));
    // a key another live edge owns goes to that owner, which answers or fills for the whole cluster
    Fill.Upstream upstream = mode == Mode.PASS ? origin : rt.peers().upstreamFor(spec, origin);
    fill = new Fill(edge, spec, upstream, collapsing.handOver()).follow(this); // the fill lands the flight
    fill.start();
    return null;
  }

  private Headers.Forwarding forwarding() {
    String ip = clientIp == null ? "unknown" : clientIp;
    return new Headers.Forwarding(ip, rt.trustedProxy(ip), req.isSSL(), hostNorm, Protocol.of(req.version()).version,
        rt.settings().nodeId());
  }

  // ---------------------------------------------------------------- following the fill

  @Override
  public void head(Fill f) {
    if (clientGone && f.outcome() != Fill.Outcome.RESPONSE) {
      // gone before the 304 or the 5xx: the stored body was let go then (and may be freed by now)
      finish();
      return;
    }
    switch (f.outcome()) {
      case REFRESHED -> {
        if (f.refreshed() != null) {
          stored = f.refreshed(); // shares the body this request retained
        }
        logStatus = "hit";
        cacheStatus = CacheStatus.fwd(CacheStatus.Fwd.STALE).fwdStatus(304).ttl(ttl());
      }
      case STALE_ON_ERROR -> staleIfError();
      case RESPONSE -> {
        releaseStored();
        if (mode == Mode.PASS) { // the fill invalidated what an unsafe method's answer does (§4.4)
          cacheStatus = (cacheStatus == null ? CacheStatus.fwd(CacheStatus.Fwd.BYPASS) : cacheStatus)
              .fwdStatus(f.response().statusCode());
        } else {
          logStatus = "miss";
          cacheStatus = f.cacheStatus(mode == Mode.REVALIDATE ? CacheStatus.Fwd.STALE : missKind, rt.clock().instant())
              .collapsed(collapsing.collapsed());
        }
        streaming = f.response();
        bodyInProgress = true;
      }
    }
    go(Step.DELIVER);
  }

  @Override
  public boolean data(Buffer data) {
    return clientGone || delivery.streamData(data, resumeFill);
  }

  @Override
  public void end(StoredObject copy) {
    bodyInProgress = false;
    boolean wantedCopy = awaitingCopy; // a copy comes only to a request that asked for one
    awaitingCopy = false;
    if (clientGone) {
      if (copy != null) {
        copy.body().release();
      }
      finish();
    } else if (!wantedCopy) {
      delivery.streamEnd();
    } else if (copy != null) {
      stored = copy;
      storedRetained = true;
      streaming = null;
      go(Step.DELIVER);
    } else {
      go(fill.tooBig() ? rangeFromOrigin() : synth(502, "object vanished"));
    }
  }

  @Override
  public void failed(OriginException e) {
    boolean midBody = bodyInProgress;
    bodyInProgress = false;
    if (!midBody) {
      go(originFailed(e));
    } else if (awaitingCopy && !clientGone) {
      awaitingCopy = false; // nothing partial is stored, so the range has no object to be cut from
      go(synth(502, "origin broke off"));
    } else {
      // the origin broke mid-body: nothing partial is stored, and the client sees a broken response
      logStatus = "error";
      if (!clientGone) {
        resp.reset();
      }
      finish();
    }
  }

  /** No response from the origin: stale-if-error when allowed, else 502/504 (413 for a cut body). */
  private Step originFailed(OriginException e) {
    edge.telemetry().originFailed(e.kind());
    if (body != null && body.exceeded()) {
      // the origin connection was closed before the end of the body: it never saw a complete request
      closeAfter = req.version() != HttpVersion.HTTP_2;
      return synth(413, "request body too large");
    }
    if (mode != Mode.PASS && storedRetained && stored.freshness().staleIfErrorAllows(rt.clock().instant())) {
      return staleIfError();
    }
    return synth(e.kind().status, e.kind().text);
  }

  private Step staleIfError() {
    logStatus = "stale";
    cacheStatus = CacheStatus.hit().ttl(ttl()).detail("stale-if-error");
    return Step.DELIVER;
  }

  // ---------------------------------------------------------------- DELIVER

  private Step deliver() {
    if (streaming == null) {
      delivery.stored(stored, canon.method(), rt.clock().instant(), cacheStatus);
      return null;
    }
    if (clientGone) {
      fill.release(this); // gone before the head arrived: the fill's end finishes a stored fill
      if (!fill.storing()) {
        finish();
      }
      return null;
    }
    switch (fill.rangeSource(req.headers().contains(Headers.RANGE))) {
      case ORIGIN -> {
        fill.release(this); // declared too big to store: the origin answers the range itself
        return rangeFromOrigin();
      }
      // a range that missed: the whole object is filled once (the flight others wait on) and the
      // range is cut from the fill's own copy, never looked up again
      case COPY -> {
        fill.keepCopy(this);
        awaitingCopy = true;
      }
      case STREAM -> delivery.streamHead(streaming, canon.method(), cacheStatus);
    }
    return null; // the fill's body (or copy) follows: data(), end(), failed()
  }

  /** The whole object is too big to store: the request is passed to the origin with its Range. */
  private Step rangeFromOrigin() {
    bodyInProgress = false;
    mode = Mode.PASS;
    cacheStatus = CacheStatus.fwd(CacheStatus.Fwd.PARTIAL).detail(Fill.TOO_BIG);
    return Step.SEND;
  }

  // ---------------------------------------------------------------- SYNTH

  private Step synth(int status, String text) {
    synthStatus = status;
    synthText = text;
    return Step.SYNTH;
  }

  /** Our own short text answer; every one is an error in the access log, whatever its status. */
  private Step synth() {
    releaseStored();
    logStatus = "error";
    if (cacheStatus == null) {
      cacheStatus = CacheStatus.fwd(CacheStatus.Fwd.BYPASS).detail("synth");
    }
    delivery.synth(synthStatus, synthText, cacheStatus, closeAfter);
    return null;
  }

  private void abortWith(int status, String text) {
    if (fill != null) {
      fill.abort();
    }
    collapsing.abandon();
    if (!resp.headWritten() && !resp.ended()) {
      synth(status, text);
      synth();
    } else {
      if (!resp.ended()) {
        resp.reset();
      }
      finish();
    }
  }

  // ---------------------------------------------------------------- bookkeeping

  /** The stored object's remaining freshness lifetime, in seconds, for its Cache-Status. */
  private long ttl() {
    return stored.freshness().ttlSeconds(rt.clock().instant());
  }

  private void onClientGone() {
    clientGone = true;
    if (bodyInProgress) {
      fill.release(this); // a stored fill goes on for the others; a pass-through is reset
    } else if (!finished) {
      finish();
    }
  }

  /** Drops this request's reference on the stored body it looked up (it will not serve it). */
  private void releaseStored() {
    if (storedRetained) {
      storedRetained = false;
      stored.body().release();
    }
    stored = null;
  }

  /** Once per request: releases what it holds and hands over the access-log record. */
  private void finish() {
    if (finished) {
      return;
    }
    finished = true;
    releaseStored();
    long originMs = fill == null ? -1 : fill.upstreamMillis();
    long originBytes = originBytesBefore + (fill == null ? 0 : fill.bodyBytes());
    edge.telemetry().record(AccessLog.record(rt, req, site, hostNorm, clientIp, canon, logStatus, originMs,
        rt.ticker().millisSince(startNanos)), req.bytesRead(), originBytes, originMs >= 0);
  }
}
