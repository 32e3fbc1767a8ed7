package dev.kasoku.cacheedge.policy;

import io.vertx.core.MultiMap;
import java.util.List;

/**
 * Conditional requests against a stored response (RFC 9110 §13, RFC 9111 §4.3).
 *
 * <p>Client side: {@link #evaluate} applies the preconditions in the order of RFC 9110 §13.2.2:
 * If-Match (strong comparison; false → 412), else If-Unmodified-Since (false → 412), then
 * If-None-Match (weak comparison; for GET/HEAD false → 304), else If-Modified-Since (GET/HEAD
 * only; not modified → 304). An If-Modified-Since that is not a valid date is ignored (§13.1.3).
 * The stored response's modification date is its Last-Modified, else its Date (RFC 9111 §4.3.2).
 *
 * <p>Origin side: {@link #addRevalidationHeaders} turns a stored response's validators into the
 * conditional request we send (If-None-Match from ETag, If-Modified-Since from Last-Modified). On a
 * miss the engine must not forward the client's own conditionals ({@link Headers#CONDITIONAL_REQUEST_HEADERS}):
 * it needs a full response to store, and answers the client's conditional from it afterwards.
 *
 * <p>{@link #ifRangeAllows} implements If-Range (§13.1.5): a strong ETag match, or an exact date
 * match against a strong Last-Modified (one at least a second before Date).
 */
public final class Conditionals {
  /** The outcome of evaluating a client's preconditions. */
  public enum Outcome { PROCEED, NOT_MODIFIED, PRECONDITION_FAILED }

  /** Fields a 304 carries from the stored response (RFC 9110 §15.4.5), lower-case. */
  public static final List<String> NOT_MODIFIED_FIELDS =
      List.of("cache-control", "content-location", "date", "etag", "expires", "vary", "last-modified");

  private Conditionals() {}

  /** True when the request carries any precondition field. */
  public static boolean hasConditionals(MultiMap requestHeaders) {
    return requestHeaders.contains("if-none-match") || requestHeaders.contains("if-modified-since")
        || requestHeaders.contains("if-match") || requestHeaders.contains("if-unmodified-since");
  }

  /** True when the stored response has a validator (ETag or Last-Modified). */
  public static boolean hasValidator(MultiMap storedHeaders) {
    return storedHeaders.contains("etag") || storedHeaders.contains("last-modified");
  }

  /**
   * Evaluates the client's preconditions against a stored (2xx) response.
   *
   * @param method the client's method
   * @param requestHeaders the client's request headers
   * @param storedHeaders the stored response's headers
   */
  public static Outcome evaluate(String method, MultiMap requestHeaders, MultiMap storedHeaders) {
    boolean getOrHead = "GET".equals(method) || "HEAD".equals(method);
    String etag = storedHeaders.get("etag");
    List<String> ifMatch = requestHeaders.getAll("if-match");
    if (!ifMatch.isEmpty()) {
      if (!matchesAny(ifMatch, etag, true)) {
        return Outcome.PRECONDITION_FAILED;
      }
    } else {
      String ius = requestHeaders.get("if-unmodified-since");
      if (ius != null) {
        long since = HttpDates.parseMillis(ius);
        long modified = modifiedMillis(storedHeaders);
        if (since != HttpDates.INVALID && modified != HttpDates.INVALID && modified > since) {
          return Outcome.PRECONDITION_FAILED;
        }
      }
    }
    List<String> ifNoneMatch = requestHeaders.getAll("if-none-match");
    if (!ifNoneMatch.isEmpty()) {
      if (matchesAny(ifNoneMatch, etag, false)) {
        return getOrHead ? Outcome.NOT_MODIFIED : Outcome.PRECONDITION_FAILED;
      }
      return Outcome.PROCEED;
    }
    if (getOrHead) {
      String ims = requestHeaders.get("if-modified-since");
      if (ims != null) {
        long since = HttpDates.parseMillis(ims);
        long modified = modifiedMillis(storedHeaders);
        if (since != HttpDates.INVALID && modified != HttpDates.INVALID && modified <= since) {
          return Outcome.NOT_MODIFIED;
        }
      }
    }
    return Outcome.PROCEED;
  }

  private static long modifiedMillis(MultiMap stored) {
    long lm = HttpDates.parseMillis(stored.get("last-modified"));
    return lm != HttpDates.INVALID ? lm : HttpDates.parseMillis(stored.get("date"));
  }

  /**
   * True when a list-valued If-Match / If-None-Match matches {@code etag}: {@code *} matches any
   * existing representation; otherwise entity-tags are compared strongly or weakly (§8.8.3.2).
   */
  static boolean matchesAny(List<String> lines, String etag, boolean strong) {
    for (String line : lines) {
      String t = line.trim();
      if (t.equals("*")) {
        return true;
      }
      if (etag == null) {
        continue;
      }
      int n = t.length();
      int i = 0;
      while (i < n) {
        char c = t.charAt(i);
        if (c == ' ' || c == '\t' || c == ',') {
          i++;
          continue;
        }
        int start = i;
        if (c == 'W' && i + 1 < n && t.charAt(i + 1) == '/') {
          i += 2;
        }
        if (i < n && t.charAt(i) == '"') {
          int close = t.indexOf('"', i + 1);
          if (close < 0) {
            return false; // malformed list: no match
          }
          i = close + 1;
        } else {
          while (i < n && t.charAt(i) != ',') {
            i++;
          }
        }
        String candidate = t.substring(start, i);
        if (strong ? strongMatch(candidate, etag) : weakMatch(candidate, etag)) {
          return true;
        }
      }
    }
    return false;
  }

  /** Strong comparison: both strong and the opaque-tags equal (§8.8.3.2). */
  public static boolean strongMatch(String a, String b) {
    if (a == null || b == null) {
      return false;
    }
    a = a.trim();
    b = b.trim();
    return !a.startsWith("W/") && !b.startsWith("W/") && a.equals(b) && a.startsWith("\"");
  }

  /** Weak comparison: opaque-tags equal, weakness ignored (§8.8.3.2). */
  public static boolean weakMatch(String a, String b) {
    if (a == null || b == null) {
      return false;
    }
    a = a.trim();
    b = b.trim();
    if (a.startsWith("W/")) {
      a = a.substring(2);
    }
    if (b.startsWith("W/")) {
      b = b.substring(2);
    }
    return a.equals(b) && a.startsWith("\"");
  }

  /**
   * Adds the validators of a stored response to a request to the origin (RFC 9111 §4.3.1):
   * If-None-Match with its ETag, If-Modified-Since with its Last-Modified.
   */
  public static void addRevalidationHeaders(MultiMap storedHeaders, MultiMap originRequest) {
    String etag = storedHeaders.get("etag");
    if (etag != null) {
      originRequest.set("if-none-match", etag);
    }
    String lm = storedHeaders.get("last-modified");
    if (lm != null && HttpDates.parseMillis(lm) != HttpDates.INVALID) {
      originRequest.set("if-modified-since", lm);
    }
  }

  /**
   * If-Range (§13.1.5): true when the Range header may be honoured; false means send the whole
   * representation (200). Absent If-Range: true.
   */
  public static boolean ifRangeAllows(String ifRange, MultiMap storedHeaders) {
    if (ifRange == null) {
      return true;
    }
    String v = ifRange.trim();
    if (v.startsWith("\"") || v.startsWith("W/")) {
      return strongMatch(v, storedHeaders.get("etag"));
    }
    long date = HttpDates.parseMillis(v);
    String lmText = storedHeaders.get("last-modified");
    long lm = HttpDates.parseMillis(lmText);
    if (date == HttpDates.INVALID || lm == HttpDates.INVALID || date != lm) {
      return false;
    }
    long dateHeader = HttpDates.parseMillis(storedHeaders.get("date"));
    return dateHeader != HttpDates.INVALID && dateHeader - lm >= 1000; // strong Last-Modified
  }

  /** Copies the fields a 304 answer carries from the stored response's headers into {@code out}. */
  public static void copyNotModifiedFields(MultiMap storedHeaders, MultiMap out) {
    for (String f : NOT_MODIFIED_FIELDS) {
      List<String> v = storedHeaders.getAll(f);
      if (!v.isEmpty()) {
        out.set(f, v);
      }
    }
  }
}
