package dev.kasoku.cacheedge.engine;

import dev.kasoku.cacheedge.cluster.PeerAnswers;
import dev.kasoku.cacheedge.origin.OriginException;
import dev.kasoku.cacheedge.origin.OriginResponse;
import dev.kasoku.cacheedge.policy.CacheControl;
import dev.kasoku.cacheedge.policy.CacheStatus;
import dev.kasoku.cacheedge.policy.CanonicalRequest;
import dev.kasoku.cacheedge.policy.Conditionals;
import dev.kasoku.cacheedge.policy.Freshness;
import dev.kasoku.cacheedge.policy.Headers;
import dev.kasoku.cacheedge.policy.Invalidation;
import dev.kasoku.cacheedge.policy.Storability;
import dev.kasoku.cacheedge.policy.TargetedControls;
import dev.kasoku.cacheedge.policy.VaryKey;
import dev.kasoku.cacheedge.sites.EdgeSite;
import dev.kasoku.cacheedge.storage.Body;
import dev.kasoku.cacheedge.storage.BodyWriter;
import dev.kasoku.cacheedge.storage.Selection;
import dev.kasoku.cacheedge.storage.StoredObject;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * One upstream exchange on behalf of the cache, from the request to the stored object: the fetch
 * half of the edge, as Varnish's {@code cache_fetch.c} is to its client state machine. The request
 * path's misses, revalidations and passes and the background revalidation all go through here, so
 * there is one store decision, one body writer and one place where a key's collapsed flight lands.
 *
 * <p><b>Shape.</b> A fill takes an {@link Upstream} (where the request goes: today the site's
 * origins, {@link OriginUpstream}; a peer edge's listener fits the same interface) and a
 * {@link Sink} (whether the answer may be stored). Its response head and body are handed to any
 * number of {@link Follower}s, each of which may pause the exchange (back-pressure) or stop needing
 * the body; a follower may instead ask for the stored copy once the body is complete. A fill with no
 * follower (the background revalidation) only stores.
 *
 * <p><b>What the head becomes</b> ({@link Outcome}): a 304 to a revalidation refreshes the stored
 * head and keeps its body; a 5xx to a revalidation whose stale object allows stale-if-error is
 * dropped, the stale object answers; anything else is a response whose body streams to the
 * followers while, when the sink and RFC 9111 allow it and it fits, it is copied into storage.
 *
 * <p><b>Guarantees.</b> The key's flight lands exactly once: {@code FETCH_YOURSELF} as soon as
 * nothing will be stored (uncacheable, too big, failed), {@code STORED} once the object is in
 * storage. A partial body is never stored. While the object is being stored the exchange outlives
 * every follower (others wait on the flight); otherwise it is reset when no follower needs the body.
 * Everything runs on one event loop; nothing blocks.
 */
final class Fill {
  /** The not-stored reason (Cache-Status detail) of a body over the storage's or the site's size limit. */
  static final String TOO_BIG = "too-big";

  /** Where a fill's request goes and how its answers are accounted for there. */
  interface Upstream {
    /** Sends the request: the response head, or a failed future with an {@link OriginException}. */
    Future<OriginResponse> send();

    /** The head arrived with this status. */
    void answered(int status);

    /**
     * Whether this answer may be stored at all (asked once the head is in): a peer's answer for a
     * key that is not hot here is streamed to its client only.
     */
    default boolean mayStore() {
      return true;
    }
  }

  /** Whether the answer may be stored (the sink decision). */
  enum Sink {
    /** Stored when RFC 9111 and the site's rules allow it. */
    STORE,
    /** As {@link #STORE}, but never a 5xx: a background refresh does not replace a stale object with an error. */
    STORE_UNLESS_ERROR,
    /** Never stored: a pass, or an answer streamed to its own client only. */
    NONE
  }

  /** What the response head turned out to be. */
  enum Outcome {
    /** A response whose body follows ({@link #storing()} tells whether it is also stored). */
    RESPONSE,
    /** A 304 to a revalidation: the stored head was refreshed ({@link #refreshed()}); no body. */
    REFRESHED,
    /** A 5xx to a revalidation whose stale object may answer instead (stale-if-error); no body. */
    STALE_ON_ERROR
  }

  /** Where a client that asked for a range of a {@link Outcome#RESPONSE} gets it from. */
  enum RangeSource {
    /** The response as it comes (no range asked, not a 200, or a pass: the origin answered the Range). */
    STREAM,
    /** The whole object is being stored: the range is cut from the stored copy ({@link #keepCopy}). */
    COPY,
    /** Too big to store, and the origin was asked for the whole object: ask it again with the Range. */
    ORIGIN
  }

  /** One consumer of the fill's answer. Called on the fill's event loop. */
  interface Follower {
    /** The head is in: {@link #outcome()}, {@link #response()}, {@link #storing()}. */
    void head(Fill fill);

    /** A piece of the body; false pauses the exchange until this follower calls {@link #resume}. */
    boolean data(Buffer data);

    /**
     * The body ended, after it was stored. {@code copy} is the stored object, its body retained for
     * this follower (which releases it), when it asked {@link #keepCopy} and the object was built.
     */
    void end(StoredObject copy);

    /** No head came (the upstream failed), or the body broke off. */
    void failed(OriginException e);
  }

  /**
   * What a fill is for.
   *
   * @param clientHeaders the request's fields: the store decision and the Vary secondary key read them
   * @param fwd how the client's request reached the edge (forwarding fields; its scheme for §4.4)
   * @param revalidating the stored object whose validators the request carries, or null
   */
  record Spec(EdgeSite site, CanonicalRequest canon, MultiMap clientHeaders, CacheControl requestCc,
              Headers.Forwarding fwd, StoredObject revalidating, Sink sink) {

    /**
     * The origin request's fields, into {@code out}: the client's as forwarded, or, when the answer
     * may be stored, those of {@link #requestHeaders}.
     */
    MultiMap originHeaders(MultiMap out) {
      if (sink == Sink.NONE) {
        Headers.copyForOrigin(clientHeaders, out, fwd, false);
        return out;
      }
      return requestHeaders(clientHeaders, fwd, out, revalidating);
    }
  }

  /** A follower's place in the fill. */
  private static final class Seat {
    final Follower follower;
    boolean needsBody = true;
    boolean wantsCopy;
    boolean paused;
    boolean done;

    Seat(Follower follower) {
      this.follower = follower;
    }
  }

  private final EdgeRuntime rt;
  private final EdgeServerVerticle edge;
  private final Spec spec;
  private final Upstream upstream;
  private final List<Seat> seats = new ArrayList<>(1);
  private Collapser.Flight flight;
  private int pauses;
  private Instant requestTime;
  private long startNanos;
  private long upstreamMs = -1;
  private long bodyBytes;
  private OriginResponse response;
  private Outcome outcome;
  private Storability.Decision decision;
  private Freshness freshness;
  private TargetedControls controls;
  private BodyWriter writer;
  private StoredObject refreshed;
  private boolean over;
  private boolean responseReset;

  /** @param flight the key's flight this fill leads, or null */
  Fill(EdgeServerVerticle edge, Spec spec, Upstream upstream, Collapser.Flight flight) {
    this.edge = edge;
    this.rt = edge.runtime();
    this.spec = spec;
    this.upstream = upstream;
    this.flight = flight;
    if (spec.sink() == Sink.NONE) {
      land(Collapser.Outcome.FETCH_YOURSELF); // nothing will be stored: waiters go on their own now
    }
  }

  /**
   * The origin request's fields for a fill that may be stored: the client's fields as forwarded
   * (conditionals stripped), no range (ranges are cut from the whole object), and the validators of
   * {@code revalidating} when it is not null.
   */
  static MultiMap requestHeaders(MultiMap client, Headers.Forwarding fwd, MultiMap out, StoredObject revalidating) {
    Headers.copyForOrigin(client, out, fwd, true);
    out.remove(Headers.RANGE);
    out.remove(Headers.IF_RANGE);
    if (revalidating != null) {
      Conditionals.addRevalidationHeaders(revalidating.headers(), out);
    }
    return out;
  }

  /** Adds a follower; only before {@link #start}. */
  Fill follow(Follower f) {
    seats.add(new Seat(f));
    return this;
  }

  /** Sends the request. */
  void start() {
    requestTime = rt.clock().instant();
    startNanos = rt.ticker().read();
    upstream.send().onComplete(ar -> {
      if (ar.succeeded()) {
        onHead(ar.result());
      } else {
        upstreamMs = rt.ticker().millisSince(startNanos);
        fail(OriginException.of(ar.cause()));
      }
    });
  }

  Outcome outcome() {
    return outcome;
  }

  /** The response head (for {@link Outcome#RESPONSE}). */
  OriginResponse response() {
    return response;
  }

  /** True while the body is being copied into storage. */
  boolean storing() {
    return writer != null;
  }

  /** Why the response is not stored, or null while it is (or when the sink stores nothing). */
  String notStoredReason() {
    return writer != null || decision == null ? null : decision.reason();
  }

  /**
   * Where a range the client asked for ({@code wantsRange}) of this {@link Outcome#RESPONSE} comes
   * from: a fill that may be stored asked the origin for the whole object, never the range.
   */
  RangeSource rangeSource(boolean wantsRange) {
    if (!wantsRange || spec.sink() == Sink.NONE || response.statusCode() != 200) {
      return RangeSource.STREAM;
    }
    return storing() ? RangeSource.COPY : tooBig() ? RangeSource.ORIGIN : RangeSource.STREAM;
  }

  /** True when the response is not stored because it is bigger than storage or the site allows. */
  boolean tooBig() {
    return TOO_BIG.equals(notStoredReason());
  }

  /** The stored response's freshness (when {@link #storing()}). */
  Freshness freshness() {
    return freshness;
  }

  /**
   * The Cache-Status entry (RFC 9211) of this {@link Outcome#RESPONSE} for a request forwarded as
   * {@code fwd}: the response's status, whether it is stored and for how long or why not. An owner
   * edge's answer is forwarded as {@code peer}, our entry naming this node after the owner's own.
   */
  CacheStatus cacheStatus(CacheStatus.Fwd fwd, Instant now) {
    CacheStatus cs;
    if (upstream instanceof PeerUpstream pu && pu.peerAnswer() != null) {
      cs = CacheStatus.fwd(CacheStatus.Fwd.PEER).name(PeerAnswers.cacheName(rt.settings().nodeId()))
          .after(response.headers().get(CacheStatus.HEADER));
    } else {
      cs = CacheStatus.fwd(fwd).detail(notStoredReason());
    }
    cs.fwdStatus(response.statusCode()).stored(storing());
    return storing() ? cs.ttl(freshness.ttlSeconds(now)) : cs;
  }

  /** The refreshed object of {@link Outcome#REFRESHED}; null when the stale one could not be kept. */
  StoredObject refreshed() {
    return refreshed;
  }

  /** Milliseconds from sending to the head (or the failure); -1 before. */
  long upstreamMillis() {
    return upstreamMs;
  }

  /** Body bytes received so far. */
  long bodyBytes() {
    return bodyBytes;
  }

  /** {@code f} wants the stored object once the body is complete instead of the body as it comes. */
  void keepCopy(Follower f) {
    Seat s = seat(f);
    s.wantsCopy = true;
    s.needsBody = false;
  }

  /** {@code f}'s consumer can take more again after {@link Follower#data} returned false. */
  void resume(Follower f) {
    Seat s = seat(f);
    if (s.paused) {
      s.paused = false;
      if (--pauses == 0 && response != null) {
        response.resume();
      }
    }
  }

  /**
   * {@code f} no longer needs the body (its client left, or it answers otherwise). The exchange goes
   * on, unpaused, while the object is being stored; it is reset when nobody needs it any more. Its
   * end or failure still reaches {@code f}.
   */
  void release(Follower f) {
    Seat s = seat(f);
    s.needsBody = false;
    resume(f);
    if (response != null && !over && writer == null && nobodyNeedsTheBody()) {
      resetResponse(); // its failure ends the followers still seated
    }
  }

  /** Abandons everything at once (an internal error): nothing is stored, no follower hears more. */
  void abort() {
    for (Seat s : seats) {
      s.done = true;
    }
    discardWriter();
    land(Collapser.Outcome.FETCH_YOURSELF);
    if (response != null && !over) {
      resetResponse();
    }
    over = true;
  }

  // ---------------------------------------------------------------- the exchange

  private void onHead(OriginResponse r) {
    upstreamMs = rt.ticker().millisSince(startNanos);
    Instant responseTime = rt.clock().instant();
    int status = r.statusCode();
    upstream.answered(status);
    StoredObject stale = spec.revalidating();
    if (stale != null && status == 304) {
      // RFC 9111 §4.3.4: the stored head is refreshed, the body kept
      if (stale.body().tryRetain()) {
        refreshed = refreshed(stale, r.headers(), responseTime);
        rt.storage().put(refreshed); // the replaced entry drops its own body reference
      }
      r.discard(); // a 304 has no body; the connection goes back to the pool
      endWithout(Outcome.REFRESHED, Collapser.Outcome.STORED);
      return;
    }
    if (status >= 500 && stale != null && stale.freshness().staleIfErrorAllows(responseTime)) {
      r.reset();
      endWithout(Outcome.STALE_ON_ERROR, Collapser.Outcome.FETCH_YOURSELF);
      return;
    }
    response = r;
    outcome = Outcome.RESPONSE;
    if (spec.sink() == Sink.NONE) {
      invalidateAfter(r);
    } else if (upstream.mayStore()) {
      decideStore(r, responseTime);
    }
    if (writer == null) {
      land(Collapser.Outcome.FETCH_YOURSELF);
    }
    for (Seat s : seats) {
      s.follower.head(this);
    }
    if (writer == null && nobodyNeedsTheBody()) {
      over = true; // nobody reads the body: the exchange is dropped
      resetResponse();
      endCopies();
      return;
    }
    pipe(r);
  }

  /** A head without a body to follow. */
  private void endWithout(Outcome o, Collapser.Outcome landing) {
    outcome = o;
    over = true;
    land(landing);
    for (Seat s : seats) {
      s.done = true;
      s.follower.head(this);
    }
  }

  /**
   * RFC 9111 §4.4: a non-error answer to an unsafe method invalidates the target URI and the
   * same-origin URIs of its Location and Content-Location, every variant stored under each
   * ({@link Invalidation}); a safe method's answer invalidates nothing.
   */
  private void invalidateAfter(OriginResponse r) {
    String tenant = spec.site().tenant();
    for (String key : Invalidation.keysToInvalidate(spec.site().compiled(), spec.canon(), spec.fwd().https(),
        r.statusCode(), r.headers())) {
      rt.storage().invalidate(new Selection.Key(tenant, key), false);
    }
  }

  /** Storability, then a body writer when the response is to be stored. */
  private void decideStore(OriginResponse r, Instant responseTime) {
    int status = r.statusCode();
    EdgeSite site = spec.site();
    controls = TargetedControls.select(r.headers());
    freshness = Freshness.compute(status, r.headers(), controls, site.compiled(), spec.canon().rule(), requestTime,
        responseTime);
    decision = Storability.decide("GET", spec.clientHeaders(), spec.requestCc(), status, r.headers(), controls,
        freshness, site.compiled(), spec.canon().rule(), spec.canon().path());
    if (Storability.DECEPTION_GUARD_REASON.equals(decision.reason())) {
      edge.telemetry().countDeceptionGuard(site.tenant(), site.site());
    }
    if (!decision.store() || (spec.sink() == Sink.STORE_UNLESS_ERROR && status >= 500)) {
      return;
    }
    long declared = Headers.contentLength(r.headers());
    BodyWriter w = rt.storage().newBody(declared);
    long siteMax = site.compiled().maxObjectSize();
    if (!w.alive() || (siteMax > 0 && declared > siteMax)) {
      w.discard();
      decision = new Storability.Decision(false, TOO_BIG);
    } else {
      writer = w;
    }
  }

  private void pipe(OriginResponse r) {
    r.handler(data -> {
      bodyBytes += data.length();
      if (writer != null && !writer.append(data)) {
        discardWriter(); // over the size limit: streamed, not stored
        decision = new Storability.Decision(false, TOO_BIG);
        land(Collapser.Outcome.FETCH_YOURSELF);
        endCopies();
        if (nobodyNeedsTheBody()) {
          resetResponse(); // its failure ends the followers still seated
          return;
        }
      }
      for (Seat s : seats) {
        if (!s.done && s.needsBody && !s.follower.data(data) && !s.paused) {
          s.paused = true;
          if (pauses++ == 0) {
            r.pause();
          }
        }
      }
    });
    r.exceptionHandler(t -> {
      if (over) {
        return;
      }
      // the upstream broke mid-body: nothing partial is stored
      fail(OriginException.of(t));
    });
    r.endHandler(v -> {
      over = true;
      StoredObject o = null;
      if (writer != null) {
        Body body = writer.finish();
        writer = null;
        if (body != null) {
          o = newStoredObject(r, body);
          for (Seat s : seats) {
            // retained before the storage takes it: a purge racing the fill may drop it at once
            s.wantsCopy = s.wantsCopy && !s.done && o.body().tryRetain();
          }
          rt.storage().put(o);
        }
        land(Collapser.Outcome.STORED);
      }
      for (Seat s : seats) {
        if (!s.done) {
          s.done = true;
          s.follower.end(s.wantsCopy ? o : null);
        }
      }
    });
  }

  private void fail(OriginException e) {
    over = true;
    discardWriter();
    land(Collapser.Outcome.FETCH_YOURSELF);
    for (Seat s : seats) {
      if (!s.done) {
        s.done = true;
        s.follower.failed(e);
      }
    }
  }

  /** Followers waiting for a copy that will not be stored end now, without one. */
  private void endCopies() {
    for (Seat s : seats) {
      if (s.wantsCopy && !s.done) {
        s.done = true;
        s.wantsCopy = false;
        s.follower.end(null);
      }
    }
  }

  private void resetResponse() {
    if (!responseReset) {
      responseReset = true;
      response.reset();
    }
  }

  private boolean nobodyNeedsTheBody() {
    for (Seat s : seats) {
      if (s.needsBody && !s.done) {
        return false;
      }
    }
    return true;
  }

  private Seat seat(Follower f) {
    for (Seat s : seats) {
      if (s.follower == f) {
        return s;
      }
    }
    throw new IllegalArgumentException("not a follower of this fill");
  }

  private StoredObject newStoredObject(OriginResponse r, Body body) {
    MultiMap headers = Headers.storedHeaders(r.headers(), controls.directives());
    VaryKey vary = VaryKey.of(r.headers());
    String secondary = vary.isEmpty() ? VaryKey.NONE : vary.secondaryKey(spec.clientHeaders());
    CanonicalRequest canon = spec.canon();
    String tenant = spec.site().tenant();
    return new StoredObject(canon.primaryKey(), secondary == null ? VaryKey.NONE : secondary, tenant, canon.host(),
        canon.uri(), r.statusCode(), headers, vary, freshness, Headers.surrogateKeys(r.headers()),
        rt.storage().generation(tenant), false, body);
  }

  /**
   * The stored object with its head updated by a 304 (RFC 9111 §4.3.4) and its freshness recomputed;
   * shares the body, so the caller retains it first.
   */
  private StoredObject refreshed(StoredObject stored, MultiMap notModified, Instant responseTime) {
    MultiMap h = stored.headers(); // a fresh copy
    Headers.updateFrom304(h, notModified, responseTime);
    Freshness fr = Freshness.compute(stored.status(), h, TargetedControls.select(h), spec.site().compiled(),
        spec.canon().rule(), requestTime, responseTime);
    return stored.withHead(h, fr, Headers.surrogateKeys(h));
  }

  private void land(Collapser.Outcome o) {
    if (flight != null) {
      flight.land(o);
      flight = null;
    }
  }

  private void discardWriter() {
    if (writer != null) {
      writer.discard();
      writer = null;
    }
  }
}
