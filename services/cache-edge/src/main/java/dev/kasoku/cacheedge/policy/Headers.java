package dev.kasoku.cacheedge.policy;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import io.vertx.core.MultiMap;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Header handling between client, cache and origin.
 *
 * <h2>Towards the origin</h2>
 * {@link #copyForOrigin} copies the client's fields into the origin request's, leaving out:
 * hop-by-hop fields (RFC 9110 §7.6.1) and every field named in Connection (except the ones framing
 * needs); every {@code Proxy-*} field (including {@code Proxy}, the httpoxy vector); fields that
 * rewrite the request at common origin frameworks and so would make the origin's answer depend on
 * something the cache key does not contain ({@link #NEVER_FORWARDED_REQUEST_HEADERS}: X-Forwarded-Host,
 * X-Original-URL, X-Rewrite-URL, method overrides ...); the client's conditionals when the engine
 * fills the cache; Host (the origin request carries the origin's name) and Expect (the edge answers
 * it); then sets our own X-Forwarded-For / X-Forwarded-Proto / Forwarded / Via. Incoming
 * X-Forwarded-For and Forwarded are kept (appended to) only when the peer is a trusted proxy.
 *
 * <h2>Towards the client</h2>
 * {@link #copyForClient} leaves out hop-by-hop fields and the fields addressed to us only
 * ({@link #CONSUMED_RESPONSE_HEADERS}: Surrogate-Key, Surrogate-Control, Kasoku-CDN-Cache-Control).
 * Every other field passes untouched, CDN-Cache-Control included: it is addressed to every CDN,
 * and one in front of us is a CDN too (RFC 9213 leaves forwarding to the cache; docs/caching.md).
 *
 * <p>Both directions run on every forwarded request, so they are one pass over the fields with a
 * case-insensitive set lookup per name, not a copy followed by some forty removals.
 *
 * <h2>In the store</h2>
 * {@link #storedHeaders} keeps everything except hop-by-hop fields and the field names of a
 * qualified {@code private} (RFC 9111 §3.1); consumed fields stay stored because freshness is
 * recomputed from the stored fields after a 304. {@link #updateFrom304} merges a 304's fields into
 * the stored ones (RFC 9111 §4.3.4, §3.2).
 */
public final class Headers {
  /** Hop-by-hop fields (RFC 9110 §7.6.1), lower-case. */
  public static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive",
      "proxy-connection", "proxy-authenticate", "proxy-authorization", "te", "trailer",
      "transfer-encoding", "upgrade", "http2-settings");

  /** Request fields never forwarded to an origin (cache poisoning and routing override vectors). */
  public static final List<String> NEVER_FORWARDED_REQUEST_HEADERS = List.of(
      "x-forwarded-host", "x-forwarded-server", "x-forwarded-port", "x-forwarded-scheme",
      "x-forwarded-prefix", "x-host", "x-original-host", "x-original-url", "x-rewrite-url",
      "x-http-method-override", "x-http-method", "x-method-override", "x-original-method",
      "x-real-ip", "x-client-ip", "true-client-ip", "client-ip", "cache-status", "cdn-loop",
      "surrogate-capability", "x-forwarded-proto");

  /** The client's precondition fields; not forwarded when the engine fills the cache. */
  public static final List<String> CONDITIONAL_REQUEST_HEADERS = List.of(
      "if-none-match", "if-modified-since", "if-match", "if-unmodified-since", "if-range");

  /**
   * Response fields addressed to the edge alone and consumed by it (docs/caching.md, what the edge
   * consumes). Not CDN-Cache-Control: it is addressed to every CDN, those in front of us included.
   */
  public static final List<String> CONSUMED_RESPONSE_HEADERS = List.of(
      "surrogate-key", "surrogate-control", "kasoku-cdn-cache-control");

  /** Fields a 304 must not change in the stored response: they frame the stored body. */
  public static final Set<String> FRAMING = Set.of("content-length", "transfer-encoding",
      "content-range");

  /** Never removed because Connection names them: removing them would break framing or routing. */
  private static final Set<String> CONNECTION_PROTECTED = Set.of("host", "content-length");

  /*
   * Field names used on every request, as AsciiString: their case-insensitive hash is computed once
   * here instead of on every lookup of a String name.
   */
  public static final CharSequence CONNECTION = io.vertx.core.http.HttpHeaders.CONNECTION;
  public static final CharSequence VIA = AsciiString.cached("Via");
  public static final CharSequence X_FORWARDED_FOR = AsciiString.cached("X-Forwarded-For");
  public static final CharSequence X_FORWARDED_PROTO = AsciiString.cached("X-Forwarded-Proto");
  public static final CharSequence FORWARDED = AsciiString.cached("Forwarded");
  public static final CharSequence SURROGATE_KEY = AsciiString.cached("surrogate-key");
  public static final CharSequence RANGE = AsciiString.cached("range");
  public static final CharSequence IF_RANGE = AsciiString.cached("if-range");
  public static final CharSequence X_REQUEST_ID = AsciiString.cached("x-request-id");
  public static final CharSequence AGE = AsciiString.cached("Age");

  private Headers() {}

  /** Removes hop-by-hop fields, every field Connection names and every Proxy-* field, in place. */
  public static void removeHopByHop(MultiMap h) {
    List<String> connection = h.getAll("connection");
    if (!connection.isEmpty()) {
      for (String line : connection) {
        for (String name : line.split(",")) {
          String n = name.trim().toLowerCase(Locale.ROOT);
          if (!n.isEmpty() && !CONNECTION_PROTECTED.contains(n)) {
            h.remove(n);
          }
        }
      }
    }
    for (String name : HOP_BY_HOP) {
      h.remove(name);
    }
    List<String> proxyNames = null;
    for (Map.Entry<String, String> e : h) {
      String k = e.getKey();
      if (k.length() >= 5 && k.regionMatches(true, 0, "proxy", 0, 5)) {
        if (proxyNames == null) {
          proxyNames = new ArrayList<>(2);
        }
        proxyNames.add(k);
      }
    }
    if (proxyNames != null) {
      for (String k : proxyNames) {
        h.remove(k);
      }
    }
  }

  /**
   * How the request reached us, for the forwarding fields.
   *
   * @param clientIp the peer address (textual IP)
   * @param peerIsTrustedProxy true when the peer is in KASOKU_TRUSTED_PROXIES: its X-Forwarded-For
   *     and Forwarded are kept and appended to
   * @param https true when the client used TLS
   * @param host the normalised host the client asked for
   * @param protocolVersion "1.0", "1.1" or "2" (for Via)
   * @param nodeId this edge node's id (for Via; never an internal address)
   */
  public record Forwarding(String clientIp, boolean peerIsTrustedProxy, boolean https, String host,
                           String protocolVersion, String nodeId) {}

  /**
   * Adds to {@code out} the client's fields that may go to the origin, then our forwarding fields:
   * one pass over the client's fields with a lookup per name, instead of copying everything and
   * removing some forty names one by one (this runs on every forwarded request). Parsed header maps
   * are walked by their {@code AsciiString} names, whose case-insensitive hash is computed once per
   * name by the parser, not once per lookup.
   *
   * @param client the client's request headers (not modified)
   * @param out the origin request's headers
   * @param fwd how the request reached us
   * @param stripConditionals true on a cache fill (we need a full response to store)
   */
  public static void copyForOrigin(MultiMap client, MultiMap out, Forwarding fwd, boolean stripConditionals) {
    MultiMap connectionNamed = connectionNamed(client);
    copyWhere(client, out, name -> !DROPPED_TOWARDS_ORIGIN.contains(name) && !isProxyField(name)
        && !(stripConditionals && CONDITIONALS.contains(name))
        && (connectionNamed == null || !connectionNamed.contains(name)));
    addForwarding(client, out, fwd, connectionNamed);
  }

  /**
   * Adds to {@code out} the origin response's fields that may go to the client: everything but
   * hop-by-hop fields, fields named in Connection, {@code Proxy-*} and the consumed fields.
   */
  public static void copyForClient(MultiMap origin, MultiMap out) {
    MultiMap connectionNamed = connectionNamed(origin);
    copyWhere(origin, out, name -> !DROPPED_TOWARDS_CLIENT.contains(name) && !isProxyField(name)
        && (connectionNamed == null || !connectionNamed.contains(name)));
  }

  /** Adds to {@code out} the fields of {@code from} whose name {@code keep} accepts, in order. */
  private static void copyWhere(MultiMap from, MultiMap out, Predicate<CharSequence> keep) {
    if (from instanceof HttpHeaders parsed) {
      for (Iterator<Map.Entry<CharSequence, CharSequence>> it = parsed.iteratorCharSequence(); it.hasNext(); ) {
        Map.Entry<CharSequence, CharSequence> e = it.next();
        if (keep.test(e.getKey())) {
          out.add(e.getKey(), e.getValue());
        }
      }
    } else {
      from.forEach((name, value) -> {
        if (keep.test(name)) {
          out.add(name, value);
        }
      });
    }
  }

  /** Case-insensitive name sets, read-only after class initialisation (safe to share). */
  private static final MultiMap DROPPED_TOWARDS_ORIGIN = nameSet(HOP_BY_HOP, NEVER_FORWARDED_REQUEST_HEADERS,
      // recomputed by addForwarding from the client's fields
      List.of("x-forwarded-for", "forwarded", "via"),
      // Host is the origin's (set by the origin client); Expect was answered by the edge itself
      List.of("host", "expect"));
  private static final MultiMap DROPPED_TOWARDS_CLIENT = nameSet(HOP_BY_HOP, CONSUMED_RESPONSE_HEADERS);
  private static final MultiMap CONDITIONALS = nameSet(CONDITIONAL_REQUEST_HEADERS);

  /**
   * A case-insensitive set of field names, for {@code contains} on a hot path (the names of every
   * collection given; the values are empty). Not to be modified once built: it is shared.
   */
  @SafeVarargs
  public static MultiMap nameSet(java.util.Collection<String>... names) {
    MultiMap m = MultiMap.caseInsensitiveMultiMap();
    for (java.util.Collection<String> c : names) {
      for (String n : c) {
        m.add(n, "");
      }
    }
    return m;
  }

  private static boolean isProxyField(CharSequence name) {
    char c = name.length() == 0 ? ' ' : name.charAt(0);
    return (c == 'p' || c == 'P') && name.length() >= 5 && AsciiString.regionMatches(name, true, 0, "proxy", 0, 5);
  }

  /**
   * The fields a Connection header names that {@code h} has (minus the protected ones), or null when
   * there are none: the usual {@code keep-alive} or {@code close}, naming no field present, cost no
   * map.
   */
  private static MultiMap connectionNamed(MultiMap h) {
    List<String> connection = h.getAll(CONNECTION);
    if (connection.isEmpty()) {
      return null;
    }
    MultiMap named = null;
    for (String line : connection) {
      int n = line.length();
      int i = 0;
      while (i < n) {
        int comma = line.indexOf(',', i);
        int end = comma < 0 ? n : comma;
        String name = line.substring(i, end).trim();
        i = end + 1;
        if (name.isEmpty() || !h.contains(name) || CONNECTION_PROTECTED.contains(name.toLowerCase(Locale.ROOT))) {
          continue;
        }
        if (named == null) {
          named = MultiMap.caseInsensitiveMultiMap();
        }
        named.add(name, "");
      }
    }
    return named;
  }

  /**
   * Sets in {@code out} our forwarding fields, continuing those of {@code client} where allowed
   * (never a field the client's Connection named: that one was dropped as hop-by-hop).
   */
  private static void addForwarding(MultiMap client, MultiMap out, Forwarding fwd, MultiMap connectionNamed) {
    String ip = fwd.clientIp();
    String xff = fwd.peerIsTrustedProxy() ? join(client, X_FORWARDED_FOR, connectionNamed) : null;
    out.set(X_FORWARDED_FOR, xff == null || xff.isBlank() ? ip : xff + ", " + ip);
    out.set(X_FORWARDED_PROTO, fwd.https() ? "https" : "http");
    String fwdPrev = fwd.peerIsTrustedProxy() ? join(client, FORWARDED, connectionNamed) : null;
    String forIp = ip.indexOf(':') >= 0 ? "\"[" + ip + "]\"" : ip;
    String element = "for=" + forIp + ";host=" + quoteIfNeeded(fwd.host()) + ";proto="
        + (fwd.https() ? "https" : "http");
    out.set(FORWARDED, fwdPrev == null || fwdPrev.isBlank() ? element : fwdPrev + ", " + element);
    String via = viaValue(fwd.protocolVersion(), fwd.nodeId());
    String prevVia = join(client, VIA, connectionNamed);
    out.set(VIA, prevVia == null || prevVia.isBlank() ? via : prevVia + ", " + via);
  }

  /** A Via element: {@code 1.1 <node> (Kasoku)}. */
  public static String viaValue(String protocolVersion, String nodeId) {
    return protocolVersion + ' ' + nodeId + " (" + CacheStatus.CACHE_NAME + ")";
  }

  private static String quoteIfNeeded(String host) {
    return host.indexOf(':') >= 0 ? '"' + host + '"' : host;
  }

  private static String join(MultiMap h, CharSequence name, MultiMap connectionNamed) {
    return connectionNamed != null && connectionNamed.contains(name) ? null : join(h.getAll(name));
  }

  private static String join(List<String> lines) {
    if (lines.isEmpty()) {
      return null;
    }
    return lines.size() == 1 ? lines.get(0) : String.join(", ", lines);
  }

  /** The declared Content-Length of a message, or -1 when absent or not a number. */
  public static long contentLength(MultiMap headers) {
    String v = headers.get("content-length");
    if (v == null) {
      return -1;
    }
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * The Surrogate-Key values of a response: space-separated keys across all lines, duplicates
   * removed, order kept; empty when absent.
   */
  public static List<String> surrogateKeys(MultiMap responseHeaders) {
    List<String> lines = responseHeaders.getAll(SURROGATE_KEY);
    if (lines.isEmpty()) {
      return List.of();
    }
    List<String> keys = new ArrayList<>();
    for (String line : lines) {
      int n = line.length();
      int i = 0;
      while (i < n) {
        while (i < n && isSpace(line.charAt(i))) {
          i++;
        }
        int start = i;
        while (i < n && !isSpace(line.charAt(i))) {
          i++;
        }
        if (i > start) {
          String k = line.substring(start, i);
          if (!keys.contains(k)) {
            keys.add(k);
          }
        }
      }
    }
    return List.copyOf(keys);
  }

  private static boolean isSpace(char c) {
    return c == ' ' || c == '\t' || c == ',';
  }

  /**
   * The fields to store with a response (RFC 9111 §3.1): a new map without hop-by-hop fields and
   * without the fields named by a qualified {@code private}.
   */
  public static MultiMap storedHeaders(MultiMap responseHeaders, CacheControl cc) {
    MultiMap out = MultiMap.caseInsensitiveMultiMap();
    out.addAll(responseHeaders);
    removeHopByHop(out);
    for (String f : cc.privateFields()) {
      out.remove(f);
    }
    return out;
  }

  /**
   * Updates stored fields from a 304 (RFC 9111 §4.3.4): every field of the 304 replaces all stored
   * lines of that name, except hop-by-hop and framing fields. The stored Age is dropped (it was
   * relative to the old response time; the 304's own Age, if any, is taken), and when the 304 has
   * no Date the time it was received becomes the Date, so that {@link Freshness#compute} on the
   * result, with the revalidation's request and response times, yields the right age.
   */
  public static void updateFrom304(MultiMap stored, MultiMap notModified, Instant responseTime) {
    MultiMap incoming = MultiMap.caseInsensitiveMultiMap();
    incoming.addAll(notModified);
    removeHopByHop(incoming);
    stored.remove("age");
    for (String name : incoming.names()) {
      String n = name.toLowerCase(Locale.ROOT);
      if (FRAMING.contains(n)) {
        continue;
      }
      stored.set(n, incoming.getAll(name));
    }
    if (!incoming.contains("date")) {
      stored.set("date", HttpDates.format(responseTime));
    }
  }
}
