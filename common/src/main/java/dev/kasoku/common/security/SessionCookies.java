package dev.kasoku.common.security;

import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;

/**
 * The browser session of the portal (docs/portal.md): the login token travels in a cookie the page's
 * scripts cannot read, and every state-changing call carries an anti-CSRF header bound to it.
 *
 * <ul>
 *   <li>{@value #SESSION}: the login token (the same JWT {@code POST /v1/auth/login} answers),
 *       {@code HttpOnly; SameSite=Strict; Path=/}, {@code Secure} when the request came over TLS
 *       (directly or, from a trusted proxy, with {@code X-Forwarded-Proto: https}); it lives as long as
 *       the token.</li>
 *   <li>{@value #CSRF}: {@link #csrfToken} of that token, readable by the page (not HttpOnly, same
 *       attributes otherwise). The page sends it back in {@value #CSRF_HEADER} on every call but GET
 *       and HEAD; {@link AccessControl} recomputes it from the session cookie and refuses a missing or
 *       different value with 403. Another site can neither read the cookie nor compute the value (it
 *       would need the HttpOnly token), and SameSite=Strict keeps the browser from sending the
 *       session with another site's requests in the first place.</li>
 * </ul>
 *
 * <p>An {@code Authorization} header, when present, wins over the cookie: API clients are not
 * affected, and the CSRF check applies only to calls authenticated by the cookie.
 */
public final class SessionCookies {
  /** The HttpOnly cookie holding the login token. */
  public static final String SESSION = "kasoku_session";
  /** The cookie holding the anti-CSRF value the page echoes. */
  public static final String CSRF = "kasoku_csrf";
  /** The header carrying the anti-CSRF value on state-changing calls. */
  public static final String CSRF_HEADER = "X-Kasoku-CSRF";
  private static final byte[] CSRF_LABEL = "kasoku-csrf\0".getBytes(StandardCharsets.US_ASCII);

  private SessionCookies() {}

  /**
   * The anti-CSRF value of a session: base64url(SHA-256("kasoku-csrf\0" + token)). Computable only
   * by whoever holds the token, which the page does not (HttpOnly).
   */
  public static String csrfToken(String token) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(CSRF_LABEL);
      byte[] digest = sha.digest(token.getBytes(StandardCharsets.US_ASCII));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** Whether a call with this method needs the anti-CSRF header when authenticated by the cookie. */
  public static boolean changesState(HttpMethod method) {
    return method != HttpMethod.GET && method != HttpMethod.HEAD && method != HttpMethod.OPTIONS;
  }

  /** Whether the header matches the session's value (constant-time comparison). */
  public static boolean csrfMatches(String token, String header) {
    if (header == null) {
      return false;
    }
    return MessageDigest.isEqual(csrfToken(token).getBytes(StandardCharsets.US_ASCII),
        header.trim().getBytes(StandardCharsets.US_ASCII));
  }

  /** Sets both cookies for a freshly issued token valid for {@code ttl}. */
  public static void set(HttpServerResponse response, String token, Duration ttl, boolean secure) {
    response.addCookie(cookie(SESSION, token, ttl.toSeconds(), secure).setHttpOnly(true));
    response.addCookie(cookie(CSRF, csrfToken(token), ttl.toSeconds(), secure).setHttpOnly(false));
  }

  /** Expires both cookies (logout). */
  public static void clear(HttpServerResponse response, boolean secure) {
    response.addCookie(cookie(SESSION, "", 0, secure).setHttpOnly(true));
    response.addCookie(cookie(CSRF, "", 0, secure).setHttpOnly(false));
  }

  /**
   * Whether the browser reached us over TLS: the connection itself, or a trusted proxy's
   * {@code X-Forwarded-Proto: https} (the proxy terminated TLS).
   */
  public static boolean overTls(HttpServerRequest request, boolean fromTrustedProxy) {
    if (request.isSSL()) {
      return true;
    }
    String proto = request.getHeader("X-Forwarded-Proto");
    return fromTrustedProxy && proto != null && proto.trim().equalsIgnoreCase("https");
  }

  private static Cookie cookie(String name, String value, long maxAgeSeconds, boolean secure) {
    return Cookie.cookie(name, value).setPath("/").setSameSite(CookieSameSite.STRICT).setSecure(secure)
        .setMaxAge(maxAgeSeconds);
  }
}
