package dev.kasoku.cacheedge.policy;

import dev.kasoku.common.site.QueryPolicy;
import java.util.Arrays;

/**
 * Turns a client request into its {@link CanonicalRequest}: the cache key and the request-target
 * forwarded to the origin, which are one and the same string.
 *
 * <h2>The guarantee</h2>
 * The origin only ever receives {@link CanonicalRequest#uri()}, and the key is that uri plus the
 * tenant, site, method class and host. So two client requests share a key only if the origin would
 * receive the very same request for both: normalisation may change what the origin sees, but it can
 * never make two different origin resources share one cache entry, and parameters the key ignores
 * are never forwarded (no "parameter cloaking": a {@code ;}-separated or duplicated parameter is
 * keyed exactly as it is forwarded, whatever the origin's framework makes of it). Tenant and site ids
 * cannot contain ':' and the method class cannot either, so the key of one site can never be
 * produced by a request to another (the format is {@link KeyFormat}'s).
 *
 * <h2>Path normalisation (RFC 3986 §6.2.2)</h2>
 * <ul>
 *   <li>percent-encodings of unreserved characters (ALPHA DIGIT - . _ ~) are decoded; all other
 *       percent-encodings are kept, hex upper-cased: {@code %2F} stays distinct from '/', {@code
 *       %3B} from ';';</li>
 *   <li>dot-segments are removed per RFC 3986 §5.2.4 after that decoding, so {@code /a/%2e%2e/b}
 *       is {@code /b} for the key, for the site rules and for the origin alike (a rule on
 *       {@code /b} cannot be bypassed through an encoded dot-segment);</li>
 *   <li>';' path parameters and empty segments ("//") are kept: they are distinct resources;</li>
 *   <li>characters that may not appear raw but that clients send anyway ({@code " < > ^ ` { | }}
 *       and bytes 0x80-0xFF) are percent-encoded;</li>
 *   <li>control characters, space, backslash, '#', a bad percent-encoding, or a target that is not
 *       origin-form or absolute-form fail with {@link MalformedRequestException} (400); a target
 *       longer than {@link #MAX_TARGET_LENGTH} fails with 414.</li>
 * </ul>
 *
 * <h2>Query</h2>
 * The query is split on '&amp;' only (';' is data, not a separator, and stays inside its parameter),
 * empty parameters are dropped, each parameter is normalised like the path (backslash is encoded,
 * not refused, and '+' is left alone), then the site rule's {@link QueryPolicy} applies: keep (sorted
 * by name; parameters of the same name keep their relative order, because reordering
 * {@code a=2&a=1} would change what a "last value wins" origin sees), ignore (no query at all), only
 * / except (filter by the name before '=', then sorted as for keep).
 *
 * <p>All of this is a single scan with one StringBuilder per part; no regex.
 */
public final class CacheKey {
  /** Longest request-target accepted (414 beyond). */
  public static final int MAX_TARGET_LENGTH = 8192;
  /** Most query parameters kept in a key (400 beyond, to bound the sort). */
  public static final int MAX_QUERY_PARAMS = 256;

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();
  // per ASCII char: 0 reject, 1 keep, 2 percent-encode
  private static final byte[] PATH = new byte[128];
  private static final byte[] QUERY = new byte[128];

  static {
    for (int c = 0x21; c < 0x7f; c++) {
      PATH[c] = 1;
      QUERY[c] = 1;
    }
    for (char c : "\"<>^`{|}".toCharArray()) {
      PATH[c] = 2;
      QUERY[c] = 2;
    }
    PATH['\\'] = 0;
    QUERY['\\'] = 2;
    PATH['#'] = 0;
    QUERY['#'] = 0;
    PATH['?'] = 0; // never reached: the path ends at '?'
  }

  private CacheKey() {}

  /** GET and HEAD: the methods answered from cache. */
  public static boolean isCacheableMethod(String method) {
    return "GET".equals(method) || "HEAD".equals(method);
  }

  /**
   * Canonicalises a request.
   *
   * @param site the compiled site the Host resolved to
   * @param method the request method (a token, case-sensitive)
   * @param host the normalised host ({@link #normalizeHost})
   * @param requestTarget the raw request-target (origin-form "/p?q", or absolute-form, whose scheme
   *     and authority are dropped: the caller resolved the host already)
   * @throws MalformedRequestException with status 400 or 414
   */
  public static CanonicalRequest canonicalize(CompiledSite site, String method, String host,
                                              String requestTarget) {
    if (requestTarget == null || requestTarget.isEmpty()) {
      throw new MalformedRequestException(400, "empty request-target");
    }
    if (requestTarget.length() > MAX_TARGET_LENGTH) {
      throw new MalformedRequestException(414, "request-target too long");
    }
    if (!isToken(method)) {
      throw new MalformedRequestException(400, "bad method");
    }
    if (host == null || host.isEmpty() || host.indexOf('/') >= 0) {
      // the key's host/uri boundary is the first '/': a host must come from normalizeHost
      throw new MalformedRequestException(400, "bad host");
    }
    int start = 0;
    if (requestTarget.charAt(0) != '/') {
      start = absoluteFormPathStart(requestTarget, host);
    }
    int q = requestTarget.indexOf('?', start);
    int pathEnd = q < 0 ? requestTarget.length() : q;
    String path = pathEnd - start == 0 ? "/" : normalizePath(requestTarget, start, pathEnd);
    CompiledSite.EffectiveRule rule = site.ruleFor(path);
    String query = q < 0 ? null : canonicalQuery(requestTarget, q + 1, rule.query());
    String uri = query == null ? path : path + '?' + query;
    String methodClass = isCacheableMethod(method) ? KeyFormat.GET_CLASS : method;
    return new CanonicalRequest(method, host, path, query, rule, uri,
        KeyFormat.primary(site.keyPrefix(), methodClass, host, uri));
  }

  /**
   * Start of the path in an absolute-form target. Its authority must name the same host as the
   * Host the site was resolved from (RFC 9112 §3.2.2 makes the authority win over Host; a request
   * where the two disagree is refused rather than keyed under one and meant for the other).
   */
  private static int absoluteFormPathStart(String t, String host) {
    int colon = t.indexOf("://");
    if (colon <= 0) {
      throw new MalformedRequestException(400, "request-target is not origin-form");
    }
    String scheme = t.substring(0, colon);
    if (!scheme.equalsIgnoreCase("http") && !scheme.equalsIgnoreCase("https")) {
      throw new MalformedRequestException(400, "bad scheme in request-target");
    }
    int i = colon + 3;
    while (i < t.length() && t.charAt(i) != '/' && t.charAt(i) != '?') {
      char c = t.charAt(i);
      if (c == '@' || c == '\\' || c <= 0x20 || c >= 0x7f || c == '#') {
        throw new MalformedRequestException(400, "bad authority in request-target");
      }
      i++;
    }
    String authority = CacheKey.normalizeHost(t.substring(colon + 3, i), scheme.equalsIgnoreCase("https"));
    if (authority == null || !hostName(authority).equals(hostName(host))) {
      throw new MalformedRequestException(400, "absolute-form authority differs from Host");
    }
    return i; // may be at '?' or the end: an empty path means "/"
  }

  /** Normalises a whole raw path (no query). */
  public static String normalizePath(String rawPath) {
    if (rawPath.isEmpty() || rawPath.charAt(0) != '/') {
      throw new MalformedRequestException(400, "path must start with '/'");
    }
    return normalizePath(rawPath, 0, rawPath.length());
  }

  private static String normalizePath(String s, int start, int end) {
    if (s.charAt(start) != '/') {
      throw new MalformedRequestException(400, "path must start with '/'");
    }
    StringBuilder sb = null;
    boolean dots = false;
    for (int i = start; i < end; i++) {
      char c = s.charAt(i);
      int cls = c < 128 ? PATH[c] : (c <= 0xff ? 2 : 0);
      if (c == '%') {
        int v = hexPair(s, i + 1, end);
        if (v < 0) {
          throw new MalformedRequestException(400, "bad percent-encoding in path");
        }
        if (sb == null) {
          sb = new StringBuilder(end - start + 8).append(s, start, i);
        }
        appendEscape(sb, v);
        i += 2;
        continue;
      }
      if (cls == 0) {
        throw new MalformedRequestException(400, "illegal character in path");
      }
      if (cls == 2) {
        if (sb == null) {
          sb = new StringBuilder(end - start + 8).append(s, start, i);
        }
        sb.append('%').append(HEX[c >> 4]).append(HEX[c & 15]);
        continue;
      }
      if (c == '.' ) {
        dots = true;
      }
      if (sb != null) {
        sb.append(c);
      }
    }
    String out = sb == null ? s.substring(start, end) : sb.toString();
    if (sb != null && out.indexOf('.') >= 0) {
      dots = true;
    }
    return dots ? removeDotSegments(out) : out;
  }

  /** RFC 3986 §5.2.4 for an absolute path; returns the input when it has no dot-segment. */
  static String removeDotSegments(String path) {
    // quick check: any segment exactly "." or ".."
    boolean found = false;
    int n = path.length();
    for (int i = 0; i < n; i++) {
      if (path.charAt(i) == '/' && i + 1 < n && path.charAt(i + 1) == '.') {
        int j = i + 2;
        if (j < n && path.charAt(j) == '.') {
          j++;
        }
        if (j == n || path.charAt(j) == '/') {
          found = true;
          break;
        }
      }
    }
    if (!found) {
      return path;
    }
    String[] out = new String[n];
    int top = 0;
    int segStart = 1;
    while (segStart <= n) {
      int slash = path.indexOf('/', segStart);
      int segEnd = slash < 0 ? n : slash;
      boolean last = slash < 0;
      int len = segEnd - segStart;
      boolean dot = len == 1 && path.charAt(segStart) == '.';
      boolean dotdot = len == 2 && path.charAt(segStart) == '.' && path.charAt(segStart + 1) == '.';
      if (dot || dotdot) {
        if (dotdot && top > 0) {
          top--;
        }
        if (last) {
          out[top++] = "";
        }
      } else {
        out[top++] = path.substring(segStart, segEnd);
      }
      segStart = segEnd + 1;
    }
    StringBuilder sb = new StringBuilder(n);
    for (int i = 0; i < top; i++) {
      sb.append('/').append(out[i]);
    }
    return sb.length() == 0 ? "/" : sb.toString();
  }

  /** The canonical query (without '?') per the policy, or null when nothing remains. */
  static String canonicalQuery(String s, int start, QueryPolicy policy) {
    int end = s.length();
    if (policy.mode() == QueryPolicy.Mode.IGNORE || start >= end) {
      // still refuse what we would refuse when keeping it: the raw target is malformed either way
      validateQueryChars(s, start, end);
      return null;
    }
    String[] params = new String[8];
    int count = 0;
    int i = start;
    while (i <= end) {
      int amp = s.indexOf('&', i);
      int pe = amp < 0 ? end : amp;
      if (pe > i) {
        String p = normalizeQueryPart(s, i, pe);
        if (keep(p, policy)) {
          if (count == MAX_QUERY_PARAMS) {
            throw new MalformedRequestException(400, "too many query parameters");
          }
          if (count == params.length) {
            params = Arrays.copyOf(params, count * 2);
          }
          params[count++] = p;
        }
      }
      i = pe + 1;
    }
    if (count == 0) {
      return null;
    }
    // insertion sort by name, stable (parameters are few; no allocation of name substrings)
    for (int a = 1; a < count; a++) {
      String x = params[a];
      int b = a - 1;
      while (b >= 0 && compareNames(params[b], x) > 0) {
        params[b + 1] = params[b];
        b--;
      }
      params[b + 1] = x;
    }
    if (count == 1) {
      return params[0];
    }
    StringBuilder sb = new StringBuilder(end - start + 4);
    for (int k = 0; k < count; k++) {
      if (k > 0) {
        sb.append('&');
      }
      sb.append(params[k]);
    }
    return sb.toString();
  }

  private static void validateQueryChars(String s, int start, int end) {
    for (int i = start; i < end; i++) {
      char c = s.charAt(i);
      if (c == '%') {
        if (hexPair(s, i + 1, end) < 0) {
          throw new MalformedRequestException(400, "bad percent-encoding in query");
        }
        i += 2;
      } else if (c < 128 ? QUERY[c] == 0 : c > 0xff) {
        throw new MalformedRequestException(400, "illegal character in query");
      }
    }
  }

  private static boolean keep(String param, QueryPolicy policy) {
    return switch (policy.mode()) {
      case KEEP -> true;
      case ONLY -> policy.names().contains(name(param));
      case EXCEPT -> !policy.names().contains(name(param));
      default -> false;
    };
  }

  private static String name(String param) {
    int eq = param.indexOf('=');
    return eq < 0 ? param : param.substring(0, eq);
  }

  private static int compareNames(String a, String b) {
    int la = a.indexOf('=');
    int lb = b.indexOf('=');
    if (la < 0) {
      la = a.length();
    }
    if (lb < 0) {
      lb = b.length();
    }
    int n = Math.min(la, lb);
    for (int i = 0; i < n; i++) {
      int d = a.charAt(i) - b.charAt(i);
      if (d != 0) {
        return d;
      }
    }
    return la - lb;
  }

  /** RFC 3986 §6.2.2: an escaped unreserved octet is decoded, any other keeps upper-case hex. */
  private static void appendEscape(StringBuilder sb, int v) {
    if (isUnreserved(v)) {
      sb.append((char) v);
    } else {
      sb.append('%').append(HEX[v >> 4]).append(HEX[v & 15]);
    }
  }

  private static String normalizeQueryPart(String s, int start, int end) {
    StringBuilder sb = null;
    for (int i = start; i < end; i++) {
      char c = s.charAt(i);
      if (c == '%') {
        int v = hexPair(s, i + 1, end);
        if (v < 0) {
          throw new MalformedRequestException(400, "bad percent-encoding in query");
        }
        if (sb == null) {
          sb = new StringBuilder(end - start + 8).append(s, start, i);
        }
        appendEscape(sb, v);
        i += 2;
        continue;
      }
      int cls = c < 128 ? QUERY[c] : (c <= 0xff ? 2 : 0);
      if (cls == 0) {
        throw new MalformedRequestException(400, "illegal character in query");
      }
      if (cls == 2) {
        if (sb == null) {
          sb = new StringBuilder(end - start + 8).append(s, start, i);
        }
        sb.append('%').append(HEX[c >> 4]).append(HEX[c & 15]);
        continue;
      }
      if (sb != null) {
        sb.append(c);
      }
    }
    return sb == null ? s.substring(start, end) : sb.toString();
  }

  private static int hexPair(String s, int i, int end) {
    if (i + 1 >= end) {
      return -1;
    }
    int h = hex(s.charAt(i));
    int l = hex(s.charAt(i + 1));
    return h < 0 || l < 0 ? -1 : (h << 4) | l;
  }

  private static int hex(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    return -1;
  }

  private static boolean isUnreserved(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || c == '-' || c == '.' || c == '_' || c == '~';
  }

  /** RFC 9110 token (methods, field names). */
  public static boolean isToken(String s) {
    if (s == null || s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /**
   * Normalises a Host header value: lower-case, trailing dot removed, the scheme's default port
   * dropped; an IPv6 literal keeps its brackets.
   *
   * @param https true when the request arrived over TLS (default port 443, else 80)
   * @return the normalised "name" or "name:port", or null when the value is not a valid host
   */
  public static String normalizeHost(String hostHeader, boolean https) {
    if (hostHeader == null || hostHeader.isEmpty() || hostHeader.length() > 260) {
      return null;
    }
    String h = hostHeader;
    String name;
    String port = null;
    if (h.charAt(0) == '[') {
      int close = h.indexOf(']');
      if (close < 0) {
        return null;
      }
      name = h.substring(0, close + 1);
      for (int i = 1; i < close; i++) {
        char c = h.charAt(i);
        if (!(hex(c) >= 0 || c == ':' || c == '.')) {
          return null;
        }
      }
      if (close + 1 < h.length()) {
        if (h.charAt(close + 1) != ':') {
          return null;
        }
        port = h.substring(close + 2);
      }
    } else {
      int colon = h.indexOf(':');
      name = colon < 0 ? h : h.substring(0, colon);
      port = colon < 0 ? null : h.substring(colon + 1);
      if (name.endsWith(".")) {
        name = name.substring(0, name.length() - 1);
      }
      if (name.isEmpty()) {
        return null;
      }
      for (int i = 0; i < name.length(); i++) {
        char c = name.charAt(i);
        boolean ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
            || c == '_' || (c >= 'A' && c <= 'Z');
        if (!ok) {
          return null;
        }
      }
      if (name.startsWith(".") || name.contains("..")) {
        return null;
      }
    }
    name = toLowerAscii(name);
    if (port == null) {
      return name;
    }
    if (port.isEmpty() || port.length() > 5) {
      return port.isEmpty() ? name : null; // "host:" means the default port (RFC 3986 §3.2.3)
    }
    int p = 0;
    for (int i = 0; i < port.length(); i++) {
      char c = port.charAt(i);
      if (c < '0' || c > '9') {
        return null;
      }
      p = p * 10 + (c - '0');
    }
    if (p == 0 || p > 65535) {
      return null;
    }
    if ((https && p == 443) || (!https && p == 80)) {
      return name;
    }
    return name + ':' + p;
  }

  /** The name part of a normalised host (without port), e.g. for the hostname → site lookup. */
  public static String hostName(String normalizedHost) {
    if (normalizedHost.startsWith("[")) {
      return normalizedHost.substring(0, normalizedHost.indexOf(']') + 1);
    }
    int colon = normalizedHost.indexOf(':');
    return colon < 0 ? normalizedHost : normalizedHost.substring(0, colon);
  }

  private static String toLowerAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 'A' && c <= 'Z') {
        char[] a = s.toCharArray();
        for (int j = i; j < a.length; j++) {
          if (a[j] >= 'A' && a[j] <= 'Z') {
            a[j] = (char) (a[j] + 32);
          }
        }
        return new String(a);
      }
    }
    return s;
  }
}
