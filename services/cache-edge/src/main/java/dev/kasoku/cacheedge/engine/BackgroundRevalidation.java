package dev.kasoku.cacheedge.engine;

import dev.kasoku.cacheedge.origin.Origin;
import dev.kasoku.cacheedge.origin.OriginClients;
import dev.kasoku.cacheedge.origin.OriginResponse;
import dev.kasoku.cacheedge.policy.CacheControl;
import dev.kasoku.cacheedge.policy.CanonicalRequest;
import dev.kasoku.cacheedge.policy.Conditionals;
import dev.kasoku.cacheedge.policy.Freshness;
import dev.kasoku.cacheedge.policy.Headers;
import dev.kasoku.cacheedge.policy.Storability;
import dev.kasoku.cacheedge.policy.TargetedControls;
import dev.kasoku.cacheedge.policy.VaryKey;
import dev.kasoku.cacheedge.sites.EdgeSite;
import dev.kasoku.cacheedge.storage.Body;
import dev.kasoku.cacheedge.storage.BodyWriter;
import dev.kasoku.cacheedge.storage.StoredObject;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import java.time.Instant;

/**
 * The one background revalidation of RFC 5861 stale-while-revalidate: while clients are served the
 * stale object, a single conditional request (one per key across the process: it leads the key's
 * {@link Collapser} flight, and does nothing when a flight is already running) refreshes it. A 304
 * updates the stored head; a storable full response replaces the object; anything else leaves the
 * stale object to expire. It has no client, so it never outlives its own origin exchange.
 */
final class BackgroundRevalidation {
  private final EdgeServerVerticle edge;
  private final EdgeRuntime rt;
  private final EdgeSite site;
  private final CanonicalRequest canon;
  private final StoredObject stale;
  private final MultiMap clientHeaders;
  private final Collapser.Flight flight;
  private Instant requestTime;
  private Origin origin;

  private BackgroundRevalidation(EdgeServerVerticle edge, EdgeSite site, CanonicalRequest canon, StoredObject stale,
                                 MultiMap clientHeaders, Collapser.Flight flight) {
    this.edge = edge;
    this.rt = edge.runtime();
    this.site = site;
    this.canon = canon;
    this.stale = stale;
    this.clientHeaders = clientHeaders;
    this.flight = flight;
  }

  /** Starts the revalidation of {@code key} unless one is already in flight. */
  static void start(EdgeServerVerticle edge, EdgeSite site, CanonicalRequest canon, String key, StoredObject stale,
                    MultiMap clientHeaders, Headers.Forwarding fwd) {
    if (!canon.method().equals("GET") && !canon.method().equals("HEAD")) {
      return;
    }
    Collapser.Flight f = edge.runtime().collapser().tryLead(key);
    if (f == null) {
      return;
    }
    MultiMap copy = HttpHeaders.headers().addAll(clientHeaders);
    new BackgroundRevalidation(edge, site, canon, stale, copy, f).run(fwd);
  }

  private void run(Headers.Forwarding fwd) {
    MultiMap h = OriginClients.newHeaders(false); // clientHeaders is a validating copy
    Headers.copyForOrigin(clientHeaders, h, fwd, true);
    forFill(h, stale);
    origin = rt.health().choose(site.origins(), null);
    if (origin == null) {
      flight.land(Collapser.Outcome.FETCH_YOURSELF);
      return;
    }
    requestTime = rt.clock().instant();
    rt.originRequests().incrementAndGet();
    edge.clients().send(site.tenant(), origin, HttpMethod.GET, canon.uri(), h, null)
        .onComplete(ar -> {
          if (ar.failed()) {
            rt.health().failure(origin);
            flight.land(Collapser.Outcome.FETCH_YOURSELF);
          } else {
            onResponse(ar.result());
          }
        });
  }

  /**
   * Makes origin request fields (from {@link Headers#copyForOrigin}) ask for a whole object to store:
   * no range (ranges are cut from the stored copy), and the validators of {@code revalidating} when
   * it is not null.
   */
  static void forFill(MultiMap h, StoredObject revalidating) {
    h.remove(Headers.RANGE);
    h.remove(Headers.IF_RANGE);
    if (revalidating != null) {
      Conditionals.addRevalidationHeaders(revalidating.headers(), h);
    }
  }

  /**
   * The stored object with its head updated by a 304 (RFC 9111 §4.3.4) and its freshness recomputed;
   * shares the body, so the caller retains it first.
   */
  static StoredObject refreshed(StoredObject stored, MultiMap notModified, EdgeSite site, CanonicalRequest canon,
                                Instant requestTime, Instant responseTime) {
    MultiMap h = stored.headers(); // a fresh copy
    Headers.updateFrom304(h, notModified, responseTime);
    Freshness fr = Freshness.compute(stored.status(), h, TargetedControls.select(h), site.compiled(), canon.rule(),
        requestTime, responseTime);
    return stored.withHead(h, fr, Headers.surrogateKeys(h));
  }

  private void onResponse(OriginResponse r) {
    Instant responseTime = rt.clock().instant();
    int status = r.statusCode();
    rt.health().answered(origin, status);
    if (status == 304) {
      if (stale.body().tryRetain()) {
        rt.storage().put(refreshed(stale, r.headers(), site, canon, requestTime, responseTime));
      }
      r.discard();
      flight.land(Collapser.Outcome.STORED);
      return;
    }
    TargetedControls tc = TargetedControls.select(r.headers());
    Freshness fr = Freshness.compute(status, r.headers(), tc, site.compiled(), canon.rule(), requestTime, responseTime);
    Storability.Decision d = Storability.decide("GET", clientHeaders, CacheControl.of(clientHeaders), status,
        r.headers(), tc, fr, site.compiled(), canon.rule(), canon.path());
    if (!d.store() || status >= 500) {
      r.reset();
      flight.land(Collapser.Outcome.FETCH_YOURSELF);
      return;
    }
    String cl = r.headers().get(HttpHeaders.CONTENT_LENGTH);
    BodyWriter w = rt.storage().newBody(cl == null ? -1 : parse(cl));
    if (!w.alive()) {
      r.reset();
      flight.land(Collapser.Outcome.FETCH_YOURSELF);
      return;
    }
    r.handler(data -> {
      if (!w.append(data)) {
        r.reset();
      }
    });
    r.exceptionHandler(t -> {
      w.discard();
      flight.land(Collapser.Outcome.FETCH_YOURSELF);
    });
    r.endHandler(v -> {
      Body body = w.finish();
      if (body != null) {
        VaryKey vary = VaryKey.of(r.headers());
        String secondary = vary.isEmpty() ? VaryKey.NONE : vary.secondaryKey(clientHeaders);
        rt.storage().put(new StoredObject(canon.primaryKey(), secondary == null ? VaryKey.NONE : secondary,
            site.tenant(), canon.host(), canon.uri(), status, Headers.storedHeaders(r.headers(), tc.directives()),
            vary, fr, Headers.surrogateKeys(r.headers()), rt.storage().generation(site.tenant()), false, body));
        flight.land(Collapser.Outcome.STORED);
      } else {
        flight.land(Collapser.Outcome.FETCH_YOURSELF);
      }
    });
  }

  private static long parse(String v) {
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
