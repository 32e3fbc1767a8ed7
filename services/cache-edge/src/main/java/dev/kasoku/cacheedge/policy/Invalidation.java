package dev.kasoku.cacheedge.policy;

import io.vertx.core.MultiMap;
import java.util.ArrayList;
import java.util.List;

/**
 * Invalidation after an unsafe method (RFC 9111 §4.4).
 *
 * <p>"A cache MUST invalidate the target URI when it receives a non-error status code in response to
 * an unsafe request method" and "MAY invalidate the URI(s) in the Location and Content-Location
 * response header fields (if present)". It also says a cache "MUST NOT trigger an invalidation under
 * these conditions if the origin ... of the URI to be invalidated differs from that of the target
 * URI", and an origin is scheme, host and port (RFC 9110 §4.3.1). So a reference is followed only
 * when it is an absolute path, or an absolute URL of the same scheme, host and port as the request:
 * an {@code https://} Location in the answer to a plain-HTTP request is another origin and
 * invalidates nothing, even though the edge files both schemes under one key. Comparing the scheme
 * too is what the RFC asks, and it costs at most a stale object served until its freshness ends;
 * following it would let one origin's answer drop objects of another. Anything malformed is skipped,
 * never an error. The keys are GET-class primary keys: the engine drops every variant stored under
 * each.
 */
public final class Invalidation {
  private Invalidation() {}

  /** RFC 9110 §9.2.1 safe methods. */
  public static boolean isSafe(String method) {
    // equals, not a string switch: the method is a new String per request, and a switch would hash it
    return "GET".equals(method) || "HEAD".equals(method) || "OPTIONS".equals(method) || "TRACE".equals(method);
  }

  /**
   * The primary keys to invalidate after the origin answered {@code status} to {@code request};
   * empty for safe methods and error statuses.
   *
   * @param https whether the client request used TLS (to resolve default ports of absolute URLs)
   */
  public static List<String> keysToInvalidate(CompiledSite site, CanonicalRequest request, boolean https,
                                              int status, MultiMap responseHeaders) {
    if (isSafe(request.method()) || status < 200 || status >= 400) {
      return List.of();
    }
    List<String> keys = new ArrayList<>(3);
    keys.add(request.getKey());
    addReference(keys, site, request, https, responseHeaders.get("location"));
    addReference(keys, site, request, https, responseHeaders.get("content-location"));
    return keys;
  }

  private static void addReference(List<String> keys, CompiledSite site, CanonicalRequest request,
                                   boolean https, String ref) {
    if (ref == null || ref.isEmpty()) {
      return;
    }
    String target;
    String host = request.host();
    if (ref.startsWith("/") && !ref.startsWith("//")) {
      target = ref;
    } else if (ref.regionMatches(true, 0, "http://", 0, 7) || ref.regionMatches(true, 0, "https://", 0, 8)) {
      boolean refHttps = ref.regionMatches(true, 0, "https://", 0, 8);
      int authStart = refHttps ? 8 : 7;
      int slash = ref.indexOf('/', authStart);
      int q = ref.indexOf('?', authStart);
      int end = slash < 0 ? (q < 0 ? ref.length() : q) : (q < 0 ? slash : Math.min(slash, q));
      String refHost = CacheKey.normalizeHost(ref.substring(authStart, end), refHttps);
      if (refHost == null || refHttps != https || !refHost.equals(host)) {
        return;
      }
      target = end == ref.length() ? "/" : (ref.charAt(end) == '?' ? "/" + ref.substring(end) : ref.substring(end));
    } else {
      return;
    }
    int hash = target.indexOf('#');
    if (hash >= 0) {
      target = target.substring(0, hash);
    }
    try {
      String key = CacheKey.canonicalize(site, "GET", host, target).primaryKey();
      if (!keys.contains(key)) {
        keys.add(key);
      }
    } catch (MalformedRequestException e) {
      // a malformed reference invalidates nothing
    }
  }
}
