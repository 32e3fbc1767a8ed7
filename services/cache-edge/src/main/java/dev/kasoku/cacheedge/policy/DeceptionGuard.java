package dev.kasoku.cacheedge.policy;

import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The cache-deception guard: does a response's {@code Content-Type} contradict the extension its
 * path ends with?
 *
 * <h2>The attack</h2>
 * A site caches by extension ({@code "pathRegex": "\\.(css|js)$"}, or a {@code defaultTtl}) and its
 * origin, like many frameworks, answers {@code /account/settings/x.css} (or {@code ;x.css},
 * {@code %2Fx.css}, {@code %3Fx.css}, {@code ..%2Fx.css}) with the page at {@code /account/settings}:
 * the victim's private HTML, with no Cache-Control because the framework never thought of caches.
 * An attacker lures the victim to that URL, the edge stores the answer under the {@code .css} key,
 * and the attacker fetches it. The cache and the origin disagree on what the path names; the
 * response's media type tells which one was right.
 *
 * <h2>The rule</h2>
 * For a 2xx response whose freshness the origin did not give itself (so the site's rules decided it
 * is cacheable), the path's extension — the characters after the path's last {@code .}, when no
 * {@code /} follows it — is looked up in a table of well-known extensions; when it is known, the
 * response's media type must be one of those listed for it, else the response is not stored
 * ({@link Storability}: {@code detail=deception-guard}, counted per site). Binary formats also
 * accept {@code application/octet-stream}, which origins commonly send for them and which no browser
 * renders as a page. An unknown extension, or none, is not judged. A response without Content-Type
 * for a known extension cannot be confirmed and is not stored either. Responses the origin gave
 * explicit freshness are never judged: the origin said they may be cached. A site turns the guard
 * off with {@code "deceptionGuard": false}. Cloudflare's Cache Deception Armor is the same idea.
 */
public final class DeceptionGuard {
  private DeceptionGuard() {}

  private static final String OCTETS = "application/octet-stream";

  private static final Set<String> JS = Set.of("text/javascript", "application/javascript",
      "application/x-javascript", "application/ecmascript", "text/ecmascript");
  private static final Set<String> JSON = Set.of("application/json", "text/json");
  private static final Set<String> XML = Set.of("application/xml", "text/xml");

  /** Extension → the media types that agree with it. */
  private static final Map<String, Set<String>> TYPES = Map.ofEntries(
      Map.entry("css", Set.of("text/css")),
      Map.entry("js", JS), Map.entry("mjs", JS), Map.entry("cjs", JS),
      Map.entry("json", JSON), Map.entry("map", JSON), Map.entry("webmanifest", Set.of("application/manifest+json",
          "application/json")),
      Map.entry("html", Set.of("text/html")), Map.entry("htm", Set.of("text/html")),
      Map.entry("xhtml", Set.of("application/xhtml+xml", "text/html")),
      Map.entry("xml", XML), Map.entry("txt", Set.of("text/plain")), Map.entry("csv", Set.of("text/csv",
          "text/plain")),
      Map.entry("svg", Set.of("image/svg+xml")),
      Map.entry("png", binary("image/png")), Map.entry("jpg", binary("image/jpeg")),
      Map.entry("jpeg", binary("image/jpeg")), Map.entry("gif", binary("image/gif")),
      Map.entry("webp", binary("image/webp")), Map.entry("avif", binary("image/avif")),
      Map.entry("bmp", binary("image/bmp")),
      Map.entry("ico", binary("image/x-icon", "image/vnd.microsoft.icon")),
      Map.entry("woff", binary("font/woff", "application/font-woff")),
      Map.entry("woff2", binary("font/woff2", "application/font-woff2")),
      Map.entry("ttf", binary("font/ttf", "font/sfnt", "application/x-font-ttf", "application/font-sfnt")),
      Map.entry("otf", binary("font/otf", "font/sfnt", "application/x-font-opentype", "application/font-sfnt")),
      Map.entry("eot", binary("application/vnd.ms-fontobject")),
      Map.entry("mp4", binary("video/mp4")), Map.entry("webm", binary("video/webm", "audio/webm")),
      Map.entry("mp3", binary("audio/mpeg")), Map.entry("ogg", binary("audio/ogg", "video/ogg")),
      Map.entry("wav", binary("audio/wav", "audio/x-wav", "audio/wave")),
      Map.entry("pdf", binary("application/pdf")), Map.entry("zip", binary("application/zip")),
      Map.entry("gz", binary("application/gzip", "application/x-gzip")),
      Map.entry("wasm", binary("application/wasm")));

  private static Set<String> binary(String... types) {
    java.util.HashSet<String> s = new java.util.HashSet<>(Set.of(types));
    s.add(OCTETS);
    return Set.copyOf(s);
  }

  /**
   * True when the path ends in a well-known extension and the Content-Type is not one that agrees
   * with it (or is missing).
   *
   * @param path the normalised path the cache keys on (percent-encodings kept)
   * @param contentType the response's Content-Type field, or null
   */
  public static boolean contradicts(String path, String contentType) {
    Set<String> expected = TYPES.get(extension(path));
    if (expected == null) {
      return false;
    }
    String type = mediaType(contentType);
    if (type == null) {
      return true;
    }
    if (expected.contains(type)) {
      return false;
    }
    // structured-syntax suffixes (RFC 6839): application/ld+json is JSON, application/atom+xml is XML
    return !((expected == JSON && type.endsWith("+json")) || (expected == XML && type.endsWith("+xml")));
  }

  /** The lower-case extension the path ends with, or "" when its last segment has none. */
  static String extension(String path) {
    int dot = path.lastIndexOf('.');
    if (dot < 0 || path.indexOf('/', dot) >= 0 || dot == path.length() - 1) {
      return "";
    }
    String ext = path.substring(dot + 1);
    if (ext.length() > 12) {
      return "";
    }
    return ext.toLowerCase(Locale.ROOT);
  }

  /** The media type of a Content-Type value (parameters dropped, lower case), or null when absent. */
  static String mediaType(String contentType) {
    if (contentType == null) {
      return null;
    }
    int semi = contentType.indexOf(';');
    String t = (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
    return t.isEmpty() ? null : t;
  }
}
