package dev.kasoku.cacheedge.policy;

import io.vertx.core.MultiMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The cache directives that govern a response for us, chosen among the targeted fields and
 * Cache-Control (RFC 9213 §2.2).
 *
 * <p>Our target list, most specific first: {@code Kasoku-CDN-Cache-Control} (a field only we obey),
 * {@code CDN-Cache-Control} (every CDN), {@code Surrogate-Control} (the older surrogate
 * convention). RFC 9213: a cache "MUST select the first (in target list order) field with a valid,
 * non-empty value and use its value to determine the caching policy for the response, and it MUST
 * ignore the Cache-Control and Expires header fields in that response". When one is selected,
 * {@link #targeted()} is true and {@link Freshness} ignores {@code Expires}.
 *
 * <p>The two CDN fields are Structured Field Dictionaries (RFC 9213 §2.1, RFC 8941) and are parsed
 * as such, strictly ({@link StructuredDictionary}): "If a targeted field in a given response is
 * empty, or a parsing error is encountered, that field SHOULD be ignored by the cache", so
 * {@code max-age=10000, &&&&&} is ignored as a whole and the next field on the list, or
 * Cache-Control, decides. A known directive whose value has the wrong type (§2.1: "Implementations
 * SHOULD NOT consume values that violate these inferred constraints"; a delta-seconds directive
 * that is not a non-negative Integer, a no-argument directive that is not a Boolean, a
 * {@code private} or {@code no-cache} that is neither a Boolean nor a String of field names) makes
 * the field invalid too: none of it is consumed. Parameters are ignored; {@code ?0} means the
 * directive is absent; unknown directives are ignored but make the field non-empty (RFC 9213 §3.1's
 * {@code CDN-Cache-Control: none}).
 *
 * <p>Surrogate-Control is not a Structured Field and is read with the Cache-Control parser. Its
 * "max-age=60+30" and ";device" targeting forms are not supported: such a value reads as max-age=0
 * (stale), the safe side.
 *
 * <p>Kasoku-CDN-Cache-Control and Surrogate-Control are consumed by the edge and never forwarded to
 * clients ({@link Headers#CONSUMED_RESPONSE_HEADERS}); CDN-Cache-Control is forwarded (docs/caching.md
 * says why).
 */
public final class TargetedControls {
  public enum Source { KASOKU_CDN_CACHE_CONTROL, CDN_CACHE_CONTROL, SURROGATE_CONTROL, CACHE_CONTROL }

  /** Target list in precedence order (lower-case field names). */
  public static final List<String> TARGET_LIST =
      List.of("kasoku-cdn-cache-control", "cdn-cache-control", "surrogate-control");

  private static final Source[] SOURCES =
      {Source.KASOKU_CDN_CACHE_CONTROL, Source.CDN_CACHE_CONTROL, Source.SURROGATE_CONTROL};

  private final CacheControl directives;
  private final Source source;

  private TargetedControls(CacheControl directives, Source source) {
    this.directives = directives;
    this.source = source;
  }

  /** Selects the effective directives of a response. */
  public static TargetedControls select(MultiMap responseHeaders) {
    for (int i = 0; i < SOURCES.length; i++) {
      if (!responseHeaders.contains(TARGET_LIST.get(i))) {
        continue; // the common case, without allocating a list
      }
      List<String> lines = responseHeaders.getAll(TARGET_LIST.get(i));
      if (lines.isEmpty()) {
        continue;
      }
      if (SOURCES[i] == Source.SURROGATE_CONTROL) {
        CacheControl cc = CacheControl.parse(lines);
        if (!cc.isEmpty()) {
          return new TargetedControls(cc, SOURCES[i]);
        }
        continue;
      }
      Map<String, Object> dictionary = StructuredDictionary.parse(lines);
      if (dictionary != null && !dictionary.isEmpty()) {
        CacheControl cc = directives(dictionary);
        if (cc != null) {
          return new TargetedControls(cc, SOURCES[i]);
        }
      }
    }
    return new TargetedControls(CacheControl.of(responseHeaders), Source.CACHE_CONTROL);
  }

  /** Directives taking delta-seconds: an Integer, not negative. */
  private static final Set<String> INTEGER_DIRECTIVES =
      Set.of("max-age", "s-maxage", "stale-while-revalidate", "stale-if-error", "max-stale", "min-fresh");
  /** Directives without an argument: a Boolean. */
  private static final Set<String> BOOLEAN_DIRECTIVES = Set.of("no-store", "must-revalidate",
      "proxy-revalidate", "public", "immutable", "no-transform", "must-understand", "only-if-cached");
  /** Directives with an optional list of field names: a Boolean, or the names as a String. */
  private static final Set<String> FIELD_LIST_DIRECTIVES = Set.of("private", "no-cache");

  /**
   * The directives of a targeted Dictionary, as RFC 9213 §2.1 maps them onto Structured Field types,
   * read by the Cache-Control parser (so both fields mean the same thing); null when a known
   * directive's value has the wrong type.
   */
  static CacheControl directives(Map<String, Object> dictionary) {
    StringBuilder cc = new StringBuilder();
    for (Map.Entry<String, Object> e : dictionary.entrySet()) {
      String name = e.getKey();
      Object value = e.getValue() instanceof StructuredDictionary.Item item ? item.value() : e.getValue();
      String directive;
      if (INTEGER_DIRECTIVES.contains(name)) {
        if (!(value instanceof Long n) || n < 0) {
          return null;
        }
        directive = name + "=" + n;
      } else if (BOOLEAN_DIRECTIVES.contains(name)) {
        if (!(value instanceof Boolean b)) {
          return null;
        }
        directive = b ? name : null;
      } else if (FIELD_LIST_DIRECTIVES.contains(name)) {
        if (value instanceof Boolean b) {
          directive = b ? name : null;
        } else if (value instanceof String fields) {
          directive = name + "=\"" + fields.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        } else {
          return null;
        }
      } else {
        directive = name; // an extension directive: ignored (RFC 9111 §5.2.3), but present
      }
      if (directive != null) {
        if (cc.length() > 0) {
          cc.append(", ");
        }
        cc.append(directive);
      }
    }
    return CacheControl.parse(cc.toString());
  }

  /** Wraps plain Cache-Control directives (tests, and callers that already parsed them). */
  public static TargetedControls ofCacheControl(CacheControl cc) {
    return new TargetedControls(cc, Source.CACHE_CONTROL);
  }

  public CacheControl directives() {
    return directives;
  }

  public Source source() {
    return source;
  }

  /** True when a targeted field was selected: Cache-Control and Expires are then ignored. */
  public boolean targeted() {
    return source != Source.CACHE_CONTROL;
  }

  @Override
  public String toString() {
    return source + "[" + directives + "]";
  }
}
