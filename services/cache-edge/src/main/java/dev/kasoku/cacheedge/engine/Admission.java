package dev.kasoku.cacheedge.engine;

import dev.kasoku.cacheedge.policy.CacheKey;
import dev.kasoku.cacheedge.policy.CanonicalRequest;
import dev.kasoku.cacheedge.policy.MalformedRequestException;
import dev.kasoku.cacheedge.sites.EdgeSite;
import dev.kasoku.cacheedge.sites.SiteTable;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.HostAndPort;
import java.util.List;

/**
 * What RECV checks before the request goes further: the decoder's verdict, one Host, the message
 * framing and the method, then the request's site (by its normalised host), the declared body
 * against the site's limit and the request-target ({@link CacheKey#canonicalize}). A refusal carries the status and text of the synthetic answer and
 * whether the connection is spent, and the host and site as far as they were found (the access
 * log names them).
 *
 * <p>Request smuggling shapes: every forwarded request is re-framed by our origin client
 * (Content-Length or chunked, computed from what we parsed), so the origin always frames it as we
 * did. The HTTP/1.x decoder ({@link StrictFraming}) already refused every ambiguous shape before
 * anything behind it was decoded; the framing checks here are for HTTP/2, where no decoder of ours
 * sits.
 *
 * @param site the site the host routes to, or null
 * @param host the Host (or HTTP/2 :authority) normalised ({@link CacheKey#normalizeHost}), or null
 * @param canon the canonical request (target, cache key, rule), or null when refused
 * @param hasBody whether a body is to be forwarded
 */
record Admission(EdgeSite site, String host, CanonicalRequest canon, boolean hasBody, int status, String refusal,
                 boolean closeAfter) {

  /** The Allow field of a 405: every method the edge forwards (TRACE and CONNECT are refused). */
  static final String ALLOWED_METHODS = "GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS";

  boolean refused() {
    return refusal != null;
  }

  private static Admission refuse(int status, String text, boolean closeAfter) {
    return new Admission(null, null, null, false, status, text, closeAfter);
  }

  static Admission of(HttpServerRequest req, SiteTable sites) {
    if (req.decoderResult() != null && req.decoderResult().isFailure()) {
      Throwable cause = req.decoderResult().cause();
      if (cause instanceof TooLongHttpLineException) {
        return refuse(414, "request line too long", true);
      }
      if (cause instanceof TooLongHttpHeaderException) {
        return refuse(431, "request header section too large", true);
      }
      return refuse(400, cause instanceof StrictFraming.FramingRefused ? cause.getMessage() : "malformed request", true);
    }
    MultiMap h = req.headers();
    String host;
    if (req.version() == HttpVersion.HTTP_2) {
      HostAndPort a = req.authority();
      host = a == null ? null : a.port() >= 0 ? a.host() + ':' + a.port() : a.host();
    } else {
      List<String> hosts = h.getAll(HttpHeaders.HOST);
      if (hosts.size() > 1) {
        return refuse(400, "more than one Host", false);
      }
      host = hosts.size() == 1 ? hosts.get(0) : null;
    }
    boolean hasBody = false;
    long declared = -1;
    List<String> te = h.getAll(HttpHeaders.TRANSFER_ENCODING);
    List<String> cl = h.getAll(HttpHeaders.CONTENT_LENGTH);
    if (!te.isEmpty()) {
      if (!cl.isEmpty() || te.size() > 1 || !"chunked".equalsIgnoreCase(te.get(0).trim())
          || req.version() == HttpVersion.HTTP_1_0) {
        return refuse(400, "ambiguous message framing", true);
      }
      hasBody = true;
    }
    if (cl.size() > 1) {
      return refuse(400, "ambiguous message framing", true);
    }
    if (cl.size() == 1) {
      String v = cl.get(0).trim();
      if (v.isEmpty() || v.length() > 18 || !v.chars().allMatch(Character::isDigit)) {
        return refuse(400, "bad Content-Length", true);
      }
      declared = Long.parseLong(v);
      hasBody = declared > 0;
    }
    HttpMethod m = req.method();
    if (req.version() == HttpVersion.HTTP_2 && cl.isEmpty()
        && (m == HttpMethod.POST || m == HttpMethod.PUT || m == HttpMethod.PATCH)) {
      // HTTP/2 needs no content-length, and whether the HEADERS frame ended the stream is not known
      // here: a method whose semantics define content is forwarded with its body (chunked, and empty
      // when the stream had none), so it is neither lost nor exempt from maxRequestBody
      hasBody = true;
    }
    if (m == HttpMethod.TRACE || m == HttpMethod.CONNECT) {
      // TRACE echoes the request (credentials included) back; CONNECT would make us a tunnel:
      // neither is ever forwarded to an origin
      return refuse(405, "method not allowed", hasBody);
    }
    if (host == null) {
      return refuse(400, "missing Host", false);
    }
    String normalized = CacheKey.normalizeHost(host, req.isSSL());
    if (normalized == null) {
      return refuse(400, "bad Host", false);
    }
    EdgeSite site = sites.lookup(CacheKey.hostName(normalized));
    if (site == null) {
      return new Admission(null, normalized, null, false, 421, "unknown host", false);
    }
    if (hasBody && declared > site.compiled().maxRequestBody()) {
      // its body is not read: the connection is spent
      return new Admission(site, normalized, null, false, 413, "request body too large",
          req.version() != HttpVersion.HTTP_2);
    }
    try {
      CanonicalRequest canon = CacheKey.canonicalize(site.compiled(), m.name(), normalized, req.uri());
      return new Admission(site, normalized, canon, hasBody, 0, null, false);
    } catch (MalformedRequestException e) {
      // a body behind a refused target is never read: over HTTP/1.x the connection is spent, as for a 413
      return new Admission(site, normalized, null, false, e.status(), e.getMessage(),
          hasBody && req.version() != HttpVersion.HTTP_2);
    }
  }
}
