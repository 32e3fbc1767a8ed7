package dev.kasoku.cacheedge.policy;

import io.vertx.core.MultiMap;
import java.util.List;

/**
 * The cache directives that govern a response for us, chosen among the targeted fields and
 * Cache-Control (RFC 9213 §2.1).
 *
 * <p>Our target list, most specific first: {@code Kasoku-CDN-Cache-Control} (a field only we obey),
 * {@code CDN-Cache-Control} (every CDN), {@code Surrogate-Control} (the older surrogate
 * convention). RFC 9213: a cache "MUST select the first (in target list order) field with a valid,
 * non-empty value and use its value to determine the caching policy for the response, and it MUST
 * ignore the Cache-Control and Expires header fields in that response". When one is selected,
 * {@link #targeted()} is true and {@link Freshness} ignores {@code Expires}. All three fields are
 * consumed by the edge and never forwarded to clients ({@link Headers#CONSUMED_RESPONSE_HEADERS}).
 *
 * <p>Surrogate-Control's "max-age=60+30" and ";device" targeting forms are not supported: such a
 * value reads as max-age=0 (stale), the safe side.
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
      if (!lines.isEmpty()) {
        CacheControl cc = CacheControl.parse(lines);
        if (!cc.isEmpty()) {
          return new TargetedControls(cc, SOURCES[i]);
        }
      }
    }
    return new TargetedControls(CacheControl.of(responseHeaders), Source.CACHE_CONTROL);
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
