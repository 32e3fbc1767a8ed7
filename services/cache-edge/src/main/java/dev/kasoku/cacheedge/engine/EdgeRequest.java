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
import dev.kasoku.cacheedge.policy.Invalidation;
import dev.kasoku.cacheedge.policy.KeyFormat;
import dev.kasoku.cacheedge.policy.MalformedRequestException;
import dev.kasoku.cacheedge.policy.VaryKey;
import dev.kasoku.cacheedge.sites.EdgeSite;
import dev.kasoku.cacheedge.storage.Body;
import dev.kasoku.cacheedge.storage.Selection;
import dev.kasoku.cacheedge.storage.Storage;
import dev.kasoku.cacheedge.storage.StoredObject;
import dev.kasoku.common.bus.Messages.AccessLogRecord;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.SocketAddress;
import java.lang.System.Logger.Level;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One client request through the edge, as an explicit state machine (after Varnish's
 * {@code cache_req_fsm.c}): each {@link Step} is one method that does its work and returns the next
 * step, or null when it continues asynchronously and will call {@link #go} itself. The whole flow:
 *
 * <pre>
 *  RECV ──(cacheable GET/HEAD)──▶ LOOKUP ──fresh──▶ HIT ──▶ DELIVER
 *    │                              │ └─stale-while-revalidate─▶ HIT (+ one background revalidation)
 *    │                              │ └─stale──▶ REVALIDATE ──304 / stale-if-error──▶ DELIVER
 *    │                              │                  └─200──▶ (stream + store) DELIVER
 *    │                              └─absent──▶ MISS ──leader──▶ FETCH ──▶ (stream + store) DELIVER
 *    │                                            └─waiter──(flight landed)──▶ LOOKUP | FETCH
 *    ├──(any other method, body, rule cache:false)──▶ PASS ──▶ DELIVER (stream)
 *    └──(unknown host, bad request)──▶ SYNTH
 * </pre>
 *
 * <p><b>Threading.</b> An instance lives on its connection's event loop; collapsed-flight wake-ups
 * are dispatched back to it by {@link Collapser}. Nothing here blocks.
 *
 * <p><b>Memory safety.</b> A stored body is retained ({@link Body#tryRetain}) from LOOKUP until the
 * response carrying it has been written or abandoned ({@link #releaseStored}); a fill copies the
 * origin's bytes into a {@link BodyWriter} that is discarded when the fill fails, so a partial
 * response is never stored.
 *
 * <p><b>Shared fills survive their client.</b> When the client of a fill goes away, the origin
 * response keeps being read into storage if the object is being stored (other requests wait on it);
 * a pure pass-through is aborted instead.
 */
final class EdgeRequest implements Fill.Follower {
  private static final System.Logger LOG = System.getLogger(EdgeRequest.class.getName());
  private static final AtomicLong IDS = new AtomicLong();

  /** The Allow field of a 405: every method the edge forwards (TRACE and CONNECT are refused). */
  static final String ALLOWED_METHODS = "GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS";

  private static boolean carriesContent(HttpMethod m) {
    return m == HttpMethod.POST || m == HttpMethod.PUT || m == HttpMethod.PATCH;
  }

  /** The steps of the request state machine. */
  enum Step { RECV, LOOKUP, HIT, MISS, FETCH, REVALIDATE, PASS, SEND, DELIVER, SYNTH }

  /** What the origin exchange is for. */
  private enum Mode { FILL, REVALIDATE, PASS }

  private final EdgeServerVerticle edge;
  private final EdgeRuntime rt;
  private final Storage storage;
  private final HttpServerRequest req;
  private final HttpServerResponse resp;
  private final Context ctx;
  private final Delivery delivery;
  private final long startNanos;

  private EdgeSite site;
  private String hostNorm;
  private CanonicalRequest canon;
  private CacheControl requestCc;
  private boolean hasBody;
  /** The client's body as forwarded: the request, bounded by the site's maxRequestBody. */
  private BoundedBody body;
  private boolean closeAfter;

  private String lookupKey;
  private StoredObject stored;
  private boolean storedRetained;
  private Freshness.Verdict verdict;
  private CacheStatus.Fwd missKind = CacheStatus.Fwd.URI_MISS;

  private Collapser.Flight flight;
  private boolean collapseAllowed = true;
  private boolean collapsed;
  private int lookups;

  private Mode mode;
  /** The origin exchange this request follows (the latest, when a range miss turned into a pass). */
  private Fill fill;
  private long originBytesBefore;
  /** The origin response being streamed to the client, from its head on. */
  private OriginResponse streaming;
  private boolean bodyInProgress;
  private boolean awaitingCopy;

  private CacheStatus cacheStatus;
  private String logStatus = "miss";
  private int synthStatus;
  private String synthText;
  private boolean clientGone;
  private boolean finished;
  /** See {@link #clientIp()}: null until asked, "" when the peer address is unknown. */
  private String clientIp;

  EdgeRequest(EdgeServerVerticle edge, HttpServerRequest req) {
    this.edge = edge;
    this.rt = edge.runtime();
    this.storage = rt.storage();
    this.req = req;
    this.resp = req.response();
    this.ctx = edge.ctx();
    this.delivery = new Delivery(req, edge.via(req.version()), () -> clientGone, this::finish);
    this.startNanos = rt.ticker().read();
  }

  void run() {
    resp.closeHandler(v -> onClientGone());
    if (req.version() != HttpVersion.HTTP_2) {
      // while the edge drains for shutdown, every HTTP/1.x answer tells the client not to reuse the
      // connection (HTTP/2 clients got a GOAWAY instead)
      resp.headersEndHandler(v -> {
        if (edge.draining()) {
          resp.headers().set(HttpHeaders.CONNECTION, "close");
        }
      });
    }
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
          case DELIVER -> deliver();
          case PASS -> pass();
          case SEND -> send();
          case SYNTH -> synth();
        };
      }
    } catch (RuntimeException e) {
      LOG.log(Level.ERROR, "edge request failed in a step: " + req.method() + " " + req.uri(), e);
      abortWith(500, "internal error");
    }
  }

  // ---------------------------------------------------------------- RECV

  /** Validates the request, finds the site, canonicalises the target, picks lookup or pass. */
  private Step recv() {
    if (req.decoderResult() != null && req.decoderResult().isFailure()) {
      closeAfter = true;
      Throwable cause = req.decoderResult().cause();
      if (cause instanceof TooLongHttpLineException) {
        return synth(414, "request line too long");
      }
      if (cause instanceof TooLongHttpHeaderException) {
        return synth(431, "request header section too large");
      }
      return synth(400, cause instanceof StrictFraming.FramingRefused ? cause.getMessage() : "malformed request");
    }
    MultiMap h = req.headers();
    String hostHeader;
    if (req.version() == HttpVersion.HTTP_2) {
      HostAndPort a = req.authority();
      hostHeader = a == null ? null : a.port() >= 0 ? a.host() + ':' + a.port() : a.host();
    } else {
      List<String> hosts = h.getAll(HttpHeaders.HOST);
      hostHeader = hosts.size() == 1 ? hosts.get(0) : null;
      if (hosts.size() > 1) {
        return synth(400, "more than one Host");
      }
    }
    // Request smuggling shapes. Every forwarded request is re-framed by our client (Content-Length
    // or chunked, computed from what we parsed), so the origin always frames it as we did. The
    // HTTP/1.x decoder (StrictFraming) already refused every ambiguous shape before anything behind
    // it was decoded; these checks are for HTTP/2, where no decoder of ours sits.
    List<String> te = h.getAll(HttpHeaders.TRANSFER_ENCODING);
    List<String> cl = h.getAll(HttpHeaders.CONTENT_LENGTH);
    if (!te.isEmpty()) {
      if (!cl.isEmpty() || te.size() > 1 || !"chunked".equalsIgnoreCase(te.get(0).trim())
          || req.version() == HttpVersion.HTTP_1_0) {
        closeAfter = true;
        return synth(400, "ambiguous message framing");
      }
      hasBody = true;
    }
    if (cl.size() > 1) {
      closeAfter = true;
      return synth(400, "ambiguous message framing");
    }
    if (cl.size() == 1) {
      String v = cl.get(0).trim();
      if (v.isEmpty() || v.length() > 18 || !v.chars().allMatch(Character::isDigit)) {
        closeAfter = true;
        return synth(400, "bad Content-Length");
      }
      hasBody = Long.parseLong(v) > 0;
    }
    if (req.version() == HttpVersion.HTTP_2 && cl.isEmpty() && carriesContent(req.method())) {
      // HTTP/2 needs no content-length, and whether the HEADERS frame ended the stream is not known
      // here: a method whose semantics define content is forwarded with its body (chunked, and empty
      // when the stream had none), so it is neither lost nor exempt from maxRequestBody
      hasBody = true;
    }
    if (req.method() == HttpMethod.TRACE || req.method() == HttpMethod.CONNECT) {
      // TRACE echoes the request (credentials included) back; CONNECT would make us a tunnel:
      // neither is ever forwarded to an origin
      closeAfter = hasBody;
      return synth(405, "method not allowed");
    }
    if (hostHeader == null) {
      return synth(400, "missing Host");
    }
    hostNorm = CacheKey.normalizeHost(hostHeader, req.isSSL());
    if (hostNorm == null) {
      return synth(400, "bad Host");
    }
    site = rt.sites().lookup(CacheKey.hostName(hostNorm));
    if (site == null) {
      return synth(421, "unknown host");
    }
    long maxBody = site.compiled().maxRequestBody();
    if (hasBody && cl.size() == 1 && Long.parseLong(cl.get(0).trim()) > maxBody) {
      closeAfter = req.version() != HttpVersion.HTTP_2; // its body is not read: the connection is spent
      return synth(413, "request body too large");
    }
    if (hasBody) {
      req.pause(); // the body is piped to the origin once connected
      body = new BoundedBody(req, maxBody);
    }
    try {
      canon = CacheKey.canonicalize(site.compiled(), req.method().name(), hostNorm, req.uri());
    } catch (MalformedRequestException e) {
      return synth(e.status(), e.getMessage());
    }
    requestCc = CacheControl.of(h);
    if (!canon.cacheable()) {
      cacheStatus = CacheStatus.fwd(CacheKey.isCacheableMethod(canon.method())
          ? CacheStatus.Fwd.BYPASS : CacheStatus.Fwd.METHOD).detail(
          CacheKey.isCacheableMethod(canon.method()) ? "rule" : null);
      return Step.PASS;
    }
    if (hasBody) {
      // a GET or HEAD with a body is never answered from, nor stored in, the cache
      cacheStatus = CacheStatus.fwd(CacheStatus.Fwd.BYPASS).detail("request-body");
      return Step.PASS;
    }
    return Step.LOOKUP;
  }

  // ---------------------------------------------------------------- LOOKUP

  /** Primary key, then the Vary secondary key; decides hit, stale or miss. */
  private Step lookup() {
    lookups++;
    releaseStored();
    if (clientGone) {
      finish(); // woken from a collapsed wait after the client left: nothing to serve
      return null;
    }
    String primary = canon.primaryKey();
    VaryKey vary = storage.varyOf(primary);
    String secondary = vary == null ? VaryKey.NONE : vary.secondaryKey(req.headers());
    if (secondary == null) {
      lookupKey = primary;
      missKind = CacheStatus.Fwd.VARY_MISS;
      return Step.MISS;
    }
    lookupKey = KeyFormat.full(primary, secondary);
    StoredObject o = storage.get(lookupKey);
    if (o == null || !o.body().tryRetain()) {
      missKind = vary == null ? CacheStatus.Fwd.URI_MISS : CacheStatus.Fwd.VARY_MISS;
      return Step.MISS;
    }
    stored = o;
    storedRetained = true;
    if (o.forcedStale()) {
      verdict = o.freshness().softPurgedVerdict(requestCc);
    } else {
      verdict = o.freshness().verdict(rt.clock().instant(), requestCc);
    }
    switch (verdict) {
      case FRESH:
        return Step.HIT;
      case STALE_WHILE_REVALIDATE:
        BackgroundRevalidation.start(edge, site, canon, lookupKey, o, req.headers(), forwarding());
        return Step.HIT;
      default:
        return Step.REVALIDATE;
    }
  }

  // ---------------------------------------------------------------- HIT

  private Step hit() {
    Instant now = rt.clock().instant();
    boolean stale = verdict != Freshness.Verdict.FRESH;
    logStatus = stale ? "stale" : "hit";
    cacheStatus = CacheStatus.hit().ttl(stored.freshness().ttlSeconds(now)).collapsed(collapsed);
    if (stale) {
      cacheStatus.detail("stale-while-revalidate");
    }
    return Step.DELIVER;
  }

  // ---------------------------------------------------------------- MISS

  /** Joins the key's flight as a waiter, or leads it (FETCH). */
  private Step miss() {
    if (!collapseAllowed || lookups > 2) {
      return Step.FETCH;
    }
    boolean[] lead = new boolean[1];
    Collapser.Flight f = rt.collapser().enter(lookupKey, lead);
    if (lead[0]) {
      flight = f;
      return Step.FETCH;
    }
    return await(f, Step.FETCH);
  }

  /** Waits (bounded) for a flight to land, then looks up again or goes to the origin itself. */
  private Step await(Collapser.Flight f, Step onRelease) {
    long[] timer = {-1};
    Collapser.Waiter w = f.join(ctx, outcome -> {
      edge.vertx().cancelTimer(timer[0]);
      collapsed = true;
      if (clientGone) {
        finish();
        return;
      }
      if (outcome == Collapser.Outcome.STORED) {
        go(Step.LOOKUP);
      } else {
        collapseAllowed = false;
        go(onRelease);
      }
    });
    if (w == null) {
      return Step.LOOKUP; // it landed meanwhile
    }
    timer[0] = edge.vertx().setTimer(rt.settings().collapseWaitMs(), t -> {
      if (w.abandon() && !clientGone) {
        collapseAllowed = false;
        go(onRelease);
      }
    });
    return null;
  }

  // ---------------------------------------------------------------- FETCH / REVALIDATE / PASS

  private Step fetch() {
    releaseStored();
    mode = canon.method().equals("GET") ? Mode.FILL : Mode.PASS;
    if (mode == Mode.PASS) {
      // a HEAD miss is forwarded as is (the stored GET answers later HEADs)
      cacheStatus = CacheStatus.fwd(missKind);
    }
    return Step.SEND;
  }

  /** A stale object: one collapsed conditional request (validators of the stored response). */
  private Step revalidate() {
    if (flight == null && collapseAllowed && lookups <= 2) {
      boolean[] lead = new boolean[1];
      Collapser.Flight f = rt.collapser().enter(lookupKey, lead);
      if (!lead[0]) {
        releaseStored();
        return await(f, Step.FETCH);
      }
      flight = f;
    }
    mode = canon.method().equals("GET") ? Mode.REVALIDATE : Mode.PASS;
    return Step.SEND;
  }

  private Step pass() {
    mode = Mode.PASS;
    logStatus = "pass";
    return Step.SEND;
  }

  /** The client's address as text, formatted once per request (forwarding fields and the access log). */
  private String clientIp() {
    if (clientIp == null) {
      SocketAddress peer = req.remoteAddress();
      clientIp = peer == null || peer.hostAddress() == null ? "" : peer.hostAddress();
    }
    return clientIp.isEmpty() ? null : clientIp;
  }

  private Headers.Forwarding forwarding() {
    String ip = clientIp() == null ? "unknown" : clientIp();
    String proto = switch (req.version()) {
      case HTTP_1_0 -> "1.0";
      case HTTP_2 -> "2";
      default -> "1.1";
    };
    return new Headers.Forwarding(ip, rt.trustedProxy(ip), req.isSSL(), hostNorm, proto, rt.settings().nodeId());
  }

  // ---------------------------------------------------------------- SEND

  /**
   * The origin exchange, as a {@link Fill} this request follows: a fill that may be stored (FILL,
   * REVALIDATE: the key's flight goes with it) or a pass. The request's fields are the client's minus
   * what must not be forwarded, then ours; Host comes from the origin's name.
   */
  private Step send() {
    if (fill != null) {
      originBytesBefore += fill.bodyBytes();
    }
    streaming = null;
    MultiMap h = OriginClients.newHeaders(req.version() == HttpVersion.HTTP_2);
    StoredObject revalidating = mode == Mode.REVALIDATE ? stored : null;
    if (mode == Mode.PASS) {
      Headers.copyForOrigin(req.headers(), h, forwarding(), false);
    } else {
      Fill.requestHeaders(req.headers(), forwarding(), h, revalidating);
    }
    Fill.Spec spec = new Fill.Spec(site, canon, req.headers(), requestCc, revalidating,
        mode == Mode.PASS ? Fill.Sink.NONE : Fill.Sink.STORE);
    Collapser.Flight leading = flight;
    flight = null; // the fill lands it
    fill = new Fill(edge, spec, new OriginUpstream(edge, site, req.method(), canon.uri(), h, body, 
        fields -> delivery.earlyHints(fields, finished)),
        leading).follow(this);
    fill.start();
    return null;
  }

  /** No response from the origin: stale-if-error when allowed, else 502/504. */
  private Step originFailed(OriginException e) {
    edge.telemetry().originFailed(e.kind());
    if (body != null && body.exceeded()) {
      // the origin connection was closed before the end of the body: it never saw a complete request
      logStatus = "error";
      closeAfter = req.version() != HttpVersion.HTTP_2;
      return synth(413, "request body too large");
    }
    if (mode != Mode.PASS && storedRetained && stored.freshness().staleIfErrorAllows(rt.clock().instant())) {
      return staleIfError();
    }
    logStatus = "error";
    return synth(e.kind().status, switch (e.kind()) {
      case TIMEOUT -> "origin timeout";
      case INVALID_RESPONSE -> "invalid origin response";
      case FORBIDDEN_ADDRESS -> "origin address not allowed";
      default -> "origin unreachable";
    });
  }

  /** This request becomes a stale-if-error hit on the stored object. */
  private Step staleIfError() {
    logStatus = "stale";
    cacheStatus = CacheStatus.hit().ttl(stored.freshness().ttlSeconds(rt.clock().instant())).detail("stale-if-error");
    return Step.DELIVER;
  }

  // ---------------------------------------------------------------- following the fill

  @Override
  public void head(Fill f) {
    Instant now = rt.clock().instant();
    switch (f.outcome()) {
      case REFRESHED -> {
        if (f.refreshed() != null) {
          stored = f.refreshed(); // shares the body this request retained
        }
        logStatus = "hit";
        cacheStatus = CacheStatus.fwd(CacheStatus.Fwd.STALE).fwdStatus(304).ttl(stored.freshness().ttlSeconds(now));
        go(Step.DELIVER);
      }
      case STALE_ON_ERROR -> go(staleIfError());
      default -> {
        releaseStored();
        int status = f.response().statusCode();
        if (mode == Mode.PASS) {
          if (cacheStatus == null) {
            cacheStatus = CacheStatus.fwd(CacheStatus.Fwd.BYPASS);
          }
          cacheStatus.fwdStatus(status);
          invalidateAfterUnsafe(f.response());
        } else {
          logStatus = "miss";
          cacheStatus = CacheStatus.fwd(mode == Mode.REVALIDATE ? CacheStatus.Fwd.STALE : missKind)
              .fwdStatus(status).stored(f.storing()).collapsed(collapsed);
          if (f.storing()) {
            cacheStatus.ttl(f.freshness().ttlSeconds(now));
          } else {
            cacheStatus.detail(f.notStoredReason());
          }
        }
        streaming = f.response();
        bodyInProgress = true;
        go(Step.DELIVER);
      }
    }
  }

  @Override
  public boolean data(Buffer data) {
    Fill f = fill;
    return clientGone || delivery.streamData(data, () -> f.resume(this));
  }

  @Override
  public void end(StoredObject copy) {
    bodyInProgress = false;
    if (awaitingCopy) {
      awaitingCopy = false;
      if (clientGone) {
        if (copy != null) {
          copy.body().release();
        }
        finish();
      } else if (copy != null) {
        stored = copy;
        storedRetained = true;
        streaming = null;
        go(Step.DELIVER);
      } else if ("too-big".equals(fill.notStoredReason())) {
        go(rangeFromOrigin());
      } else {
        go(synth(502, "object vanished"));
      }
      return;
    }
    if (clientGone) {
      finish();
    } else {
      delivery.streamEnd();
    }
  }

  @Override
  public void failed(OriginException e) {
    if (!bodyInProgress) {
      go(originFailed(e));
      return;
    }
    // the origin broke mid-body: nothing partial is stored, and the client sees a broken response
    bodyInProgress = false;
    logStatus = "error";
    if (awaitingCopy) {
      awaitingCopy = false;
      if (clientGone) {
        finish();
      } else {
        go(synth(502, "origin broke off"));
      }
      return;
    }
    if (!clientGone) {
      resp.reset();
    }
    finish();
  }

  /** RFC 9111 §4.4: a successful unsafe method invalidates the URL and its same-origin references. */
  private void invalidateAfterUnsafe(OriginResponse r) {
    for (String key : Invalidation.keysToInvalidate(site.compiled(), canon, req.isSSL(), r.statusCode(), r.headers())) {
      storage.invalidate(new Selection.Key(site.tenant(), key), false);
    }
  }

  // ---------------------------------------------------------------- DELIVER

  private Step deliver() {
    return streaming != null ? streamFromOrigin() : serveStored();
  }

  /** Answers from the stored object: conditionals (304/412), ranges (206/416), HEAD, full body. */
  private Step serveStored() {
    delivery.stored(stored, canon.method(), rt.clock().instant(), cacheStatus);
    return null;
  }

  /** Streams the origin's response to the client while the fill (maybe) stores it. */
  private Step streamFromOrigin() {
    OriginResponse r = streaming;
    if (clientGone) {
      fill.release(this); // the client left before the head arrived: finished by the fill's end unless reset
      if (!fill.storing()) {
        finish();
      }
      return null;
    }
    boolean wantsRange = r.statusCode() == 200 && mode != Mode.PASS && req.headers().contains(Headers.RANGE);
    if (wantsRange && !fill.storing() && "too-big".equals(fill.notStoredReason())) {
      fill.release(this); // declared too big to store: the origin answers the range itself
      return rangeFromOrigin();
    }
    if (wantsRange && fill.storing()) {
      // a Range request that missed: the whole object is filled once (the flight others wait on) and
      // the range is cut from the fill's own copy, not looked up again
      fill.keepCopy(this);
      awaitingCopy = true;
      return null;
    }
    delivery.streamHead(r, canon.method(), cacheStatus);
    return null; // the fill's body follows: data(), end(), failed()
  }

  /** The whole object is too big to store: the request is passed to the origin with its Range. */
  private Step rangeFromOrigin() {
    bodyInProgress = false;
    mode = Mode.PASS;
    cacheStatus = CacheStatus.fwd(CacheStatus.Fwd.PARTIAL).detail("too-big");
    return Step.SEND;
  }

  // ---------------------------------------------------------------- SYNTH

  private Step synth(int status, String text) {
    synthStatus = status;
    synthText = text;
    return Step.SYNTH;
  }

  /** Our own short text answers: 400/405/412/413/414/421/431/500/502/504. Never cached downstream. */
  private Step synth() {
    releaseStored();
    logStatus = "error"; // every synthetic answer is an error in the access log, whatever its status
    if (cacheStatus == null) {
      cacheStatus = CacheStatus.fwd(CacheStatus.Fwd.BYPASS).detail("synth");
    }
    resp.setStatusCode(synthStatus);
    resp.headers().clear();
    resp.putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8");
    resp.putHeader(HttpHeaders.CACHE_CONTROL, "no-store");
    resp.putHeader(CacheStatus.HEADER, cacheStatus.value());
    if (synthStatus == 405) {
      resp.putHeader(HttpHeaders.ALLOW, ALLOWED_METHODS);
    }
    if (closeAfter && req.version() != HttpVersion.HTTP_2) {
      resp.putHeader(HttpHeaders.CONNECTION, "close"); // a connection-specific field is illegal in HTTP/2
    }
    Future<Void> f = resp.end(synthStatus + " " + synthText + "\n");
    if (closeAfter) {
      f.onComplete(ar -> req.connection().close());
    }
    end(f);
    return null;
  }

  private void abortWith(int status, String text) {
    if (fill != null) {
      fill.abort();
    }
    landFlight(Collapser.Outcome.FETCH_YOURSELF);
    if (!resp.headWritten() && !resp.ended()) {
      synthStatus = status;
      synthText = text;
      synth();
    } else if (!resp.ended()) {
      resp.reset();
      finish();
    } else {
      finish();
    }
  }

  // ---------------------------------------------------------------- bookkeeping

  private void end(Future<Void> f) {
    f.onComplete(ar -> finish());
  }

  private void onClientGone() {
    clientGone = true;
    if (bodyInProgress) {
      fill.release(this); // a stored fill goes on for the others; a pass-through is reset
    } else if (!finished) {
      finish();
    }
  }

  private void landFlight(Collapser.Outcome o) {
    if (flight != null) {
      flight.land(o);
      flight = null;
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
    if (storedRetained) {
      storedRetained = false;
      stored.body().release();
    }
    long totalMs = rt.ticker().millisSince(startNanos);
    long originMs = fill == null ? -1 : fill.upstreamMillis();
    String reqId = req.headers().get(Headers.X_REQUEST_ID);
    if (reqId == null || reqId.length() > 128) {
      reqId = rt.settings().nodeId() + "-" + Long.toString(IDS.incrementAndGet(), 36);
    }
    AccessLogRecord rec = new AccessLogRecord(Instant.ofEpochMilli(rt.clock().millis()),
        site == null ? null : site.tenant(), site == null ? null : site.site(),
        hostNorm, clientIp(), req.method().name(),
        canon == null ? truncate(req.uri()) : canon.uri(), protocol(), resp.getStatusCode(),
        resp.bytesWritten(), req.bytesRead(), truncate(resp.headers().get(HttpHeaders.CONTENT_TYPE)), tlsVersion(),
        truncate(req.headers().get(Headers.RANGE)), logStatus, originMs, totalMs,
        truncate(req.headers().get(HttpHeaders.USER_AGENT)), truncate(req.headers().get(HttpHeaders.REFERER)),
        rt.settings().nodeId(), reqId);
    long originBytes = originBytesBefore + (fill == null ? 0 : fill.bodyBytes());
    edge.telemetry().record(rec, req.bytesRead(), originBytes, originMs >= 0);
  }

  /** The client connection's TLS protocol ("TLSv1.3"), or null over plain HTTP. */
  private String tlsVersion() {
    if (!req.isSSL()) {
      return null;
    }
    javax.net.ssl.SSLSession session = req.connection().sslSession();
    return session == null ? null : session.getProtocol();
  }

  private String protocol() {
    return switch (req.version()) {
      case HTTP_1_0 -> "HTTP/1.0";
      case HTTP_2 -> "HTTP/2";
      default -> "HTTP/1.1";
    };
  }

  private static String truncate(String s) {
    return s == null || s.length() <= 1024 ? s : s.substring(0, 1024);
  }
}
