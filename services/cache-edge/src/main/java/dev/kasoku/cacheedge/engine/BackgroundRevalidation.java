package dev.kasoku.cacheedge.engine;

import dev.kasoku.cacheedge.origin.OriginClients;
import dev.kasoku.cacheedge.policy.CacheControl;
import dev.kasoku.cacheedge.policy.CanonicalRequest;
import dev.kasoku.cacheedge.policy.Headers;
import dev.kasoku.cacheedge.sites.EdgeSite;
import dev.kasoku.cacheedge.storage.StoredObject;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;

/**
 * The one background revalidation of RFC 5861 stale-while-revalidate: while clients are served the
 * stale object, a single conditional request (one per key across the process: it leads the key's
 * {@link Collapser} flight, and does nothing when a flight is already running) refreshes it. It is a
 * {@link Fill} without a follower: a 304 updates the stored head; a storable full response other than
 * a 5xx replaces the object; anything else leaves the stale object to expire.
 */
final class BackgroundRevalidation {
  private BackgroundRevalidation() {}

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
    MultiMap copy = HttpHeaders.headers().addAll(clientHeaders); // the client's request ends before this fill
    Fill.Spec spec = new Fill.Spec(site, canon, copy, CacheControl.of(copy), fwd, stale, Fill.Sink.STORE_UNLESS_ERROR);
    MultiMap h = spec.originHeaders(OriginClients.newHeaders(false)); // conditional on the stale copy
    new Fill(edge, spec, new OriginUpstream(edge, site, HttpMethod.GET, canon.uri(), h, null, null), f).start();
  }
}
