package dev.kasoku.cacheedge.policy;

import io.vertx.core.MultiMap;

/**
 * May this shared cache store this response? (RFC 9111 §3, §3.5, §5.2; RFC 9110 §15.1.)
 *
 * <p>The checks run cheapest and most decisive first and the first failing one names the reason,
 * a short token the engine puts in Cache-Status {@code detail} and the access log:
 * <ol>
 *   <li>{@code method}: only GET responses are stored (a HEAD is answered from the stored GET; a
 *       HEAD miss is forwarded as is, §4.3.5 updates are not done);</li>
 *   <li>{@code rule}: the site rule says {@code cache: false};</li>
 *   <li>{@code request-body}: a GET with a body (Content-Length other than 0, or
 *       Transfer-Encoding): its response may depend on the body, which is not in the key;</li>
 *   <li>{@code request-no-store}: the request carries {@code no-store} (§5.2.1.5);</li>
 *   <li>{@code partial}: 206 and other statuses we do not store whole (§3.4 combining is not
 *       done), {@code status}: 1xx, 304 or a status outside 200-599;</li>
 *   <li>{@code must-understand}: the response says must-understand and its status is not one we
 *       implement (§5.2.2.3); with a status we understand, must-understand overrides no-store;</li>
 *   <li>{@code no-store}, {@code private} (unqualified; the qualified form stores the response
 *       minus the named fields, see {@link Headers#storedHeaders});</li>
 *   <li>{@code authorization}: the request had Authorization and the response lacks
 *       {@code public}, {@code s-maxage} and {@code must-revalidate} (§3.5);</li>
 *   <li>{@code vary-star}: {@code Vary: *} can never match a later request (§4.1);</li>
 *   <li>{@code set-cookie}: a Set-Cookie response is somebody's session; it is shared only when the
 *       site sets {@code shareSetCookie};</li>
 *   <li>{@code error-not-explicit}: a 4xx/5xx is stored only with explicit freshness from the
 *       origin (CPDoS protection; see {@link Freshness});</li>
 *   <li>{@code deception-guard}: the origin gave no freshness of its own and the 2xx response's
 *       Content-Type contradicts the path's extension (HTML for {@code .css}): the cache and the
 *       origin disagree on what the path names, the web cache deception attack
 *       ({@link DeceptionGuard}; the site may turn it off);</li>
 *   <li>{@code cookie}: the origin gave no freshness of its own and the request carried Cookie: the
 *       response may be that user's page, and only the site's config says it is cacheable, which
 *       must not decide whose response is shared (Varnish's built-in policy passes such requests
 *       for the same reason). A rule with {@code "cookies": "ignore"} says in so many words that its
 *       responses do not depend on cookies;</li>
 *   <li>{@code no-freshness}: no lifetime, no validator and no stale window: storing it could
 *       never serve anyone.</li>
 * </ol>
 * Honoured regardless of {@code honorOriginCacheControl}: no-store, private, Authorization,
 * Set-Cookie, and the origin-granted-freshness conditions of deception-guard and cookie: the site
 * TTL may override how long, never whose. The only switches that let one user's response be stored
 * for others say so explicitly: {@code shareSetCookie}, a rule's {@code "cookies": "ignore"},
 * {@code "deceptionGuard": false}.
 */
public final class Storability {
  private Storability() {}

  /**
   * The decision and its reason.
   *
   * @param store true when the response may be stored
   * @param reason a short token for Cache-Status {@code detail} ("stored" when stored)
   */
  public record Decision(boolean store, String reason) {
    public static final Decision STORE = new Decision(true, "stored");
  }

  private static final Decision METHOD = new Decision(false, "method");
  private static final Decision RULE = new Decision(false, "rule");
  private static final Decision REQUEST_BODY = new Decision(false, "request-body");
  private static final Decision REQUEST_NO_STORE = new Decision(false, "request-no-store");
  private static final Decision PARTIAL = new Decision(false, "partial");
  private static final Decision STATUS = new Decision(false, "status");
  private static final Decision NO_STORE = new Decision(false, "no-store");
  private static final Decision MUST_UNDERSTAND = new Decision(false, "must-understand");
  private static final Decision PRIVATE = new Decision(false, "private");
  private static final Decision AUTHORIZATION = new Decision(false, "authorization");
  private static final Decision VARY_STAR = new Decision(false, "vary-star");
  private static final Decision SET_COOKIE = new Decision(false, "set-cookie");
  private static final Decision ERROR = new Decision(false, "error-not-explicit");
  private static final Decision NO_FRESHNESS = new Decision(false, "no-freshness");
  /** The Cache-Status detail of a response the deception guard kept out (also counted per site). */
  public static final String DECEPTION_GUARD_REASON = "deception-guard";
  private static final Decision DECEPTION_GUARD = new Decision(false, DECEPTION_GUARD_REASON);
  private static final Decision COOKIE = new Decision(false, "cookie");

  /**
   * Whether a request may be answered from cache at all, before any lookup: null when it may, else
   * the reason to bypass (Cache-Status {@code fwd=bypass} or {@code fwd=method}; detail = reason).
   * Requests with Authorization may be looked up: a response is only stored for sharing when the
   * origin allowed it (§3.5).
   */
  public static String lookupBypassReason(String method, MultiMap requestHeaders,
                                          CompiledSite.EffectiveRule rule) {
    if (!"GET".equals(method) && !"HEAD".equals(method)) {
      return METHOD.reason();
    }
    if (!rule.cache()) {
      return RULE.reason();
    }
    if (hasBody(requestHeaders)) {
      return REQUEST_BODY.reason();
    }
    return null;
  }

  /**
   * Statuses whose caching semantics this cache implements (for {@code must-understand},
   * RFC 9111 §5.2.2.3).
   */
  public static boolean understoodStatus(int status) {
    return switch (status) {
      case 200, 203, 204, 300, 301, 302, 303, 307, 308, 404, 405, 410, 414, 501 -> true;
      default -> false;
    };
  }

  /** True when the request announces a body (Transfer-Encoding, or a Content-Length other than 0). */
  public static boolean hasBody(MultiMap requestHeaders) {
    if (requestHeaders.contains("transfer-encoding")) {
      return true;
    }
    String cl = requestHeaders.get("content-length");
    return cl != null && !cl.trim().equals("0");
  }

  /**
   * Decides whether to store.
   *
   * @param method the client's request method
   * @param requestHeaders the client's request headers (Authorization, Cache-Control)
   * @param requestCc the request's parsed Cache-Control ({@link CacheControl#of(MultiMap)})
   * @param status the origin's status
   * @param responseHeaders the origin's response headers
   * @param controls the response's effective directives ({@link TargetedControls#select})
   * @param freshness the response's freshness ({@link Freshness#compute})
   * @param site the site
   * @param rule the request's rule
   * @param path the request's normalised path ({@link CanonicalRequest#path()})
   */
  public static Decision decide(String method, MultiMap requestHeaders, CacheControl requestCc,
                                int status, MultiMap responseHeaders, TargetedControls controls,
                                Freshness freshness, CompiledSite site,
                                CompiledSite.EffectiveRule rule, String path) {
    if (!"GET".equals(method)) {
      return METHOD;
    }
    if (!rule.cache()) {
      return RULE;
    }
    if (hasBody(requestHeaders)) {
      return REQUEST_BODY;
    }
    if (requestCc.noStore()) {
      return REQUEST_NO_STORE;
    }
    if (status == 206) {
      return PARTIAL;
    }
    if (status < 200 || status > 599 || status == 304) {
      return STATUS;
    }
    CacheControl cc = controls.directives();
    if (cc.mustUnderstand()) {
      // §5.2.2.3: store only if we understand the status's caching semantics; then no-store is
      // the fallback for caches that do not, and does not apply to us
      if (!understoodStatus(status)) {
        return MUST_UNDERSTAND;
      }
    } else if (cc.noStore()) {
      return NO_STORE;
    }
    if (cc.isPrivate()) {
      return PRIVATE;
    }
    if (requestHeaders.contains("authorization")
        && !(cc.isPublic() || cc.sMaxAge() != CacheControl.ABSENT || cc.mustRevalidate())) {
      return AUTHORIZATION;
    }
    if (VaryKey.of(responseHeaders).star()) {
      return VARY_STAR;
    }
    if (!site.shareSetCookie() && responseHeaders.contains("set-cookie")) {
      return SET_COOKIE;
    }
    if (status >= 400 && !freshness.explicit()) {
      return ERROR;
    }
    if (!freshness.originGranted()) {
      if (site.deceptionGuard() && status < 300
          && DeceptionGuard.contradicts(path, responseHeaders.get("content-type"))) {
        return DECEPTION_GUARD;
      }
      if (rule.cookiesPrivate() && requestHeaders.contains("cookie")) {
        return COOKIE;
      }
    }
    if (freshness.lifetimeSeconds() <= 0
        && freshness.staleIfErrorSeconds() <= 0 && freshness.staleWhileRevalidateSeconds() <= 0
        && !Conditionals.hasValidator(responseHeaders)) {
      return NO_FRESHNESS;
    }
    if (freshness.source() == Freshness.Source.NONE && !Freshness.heuristicallyCacheable(status)
        && !cc.isPublic()) {
      // §3: no explicit expiry, not cacheable by default, not public: not storable at all
      return STATUS;
    }
    return Decision.STORE;
  }
}
