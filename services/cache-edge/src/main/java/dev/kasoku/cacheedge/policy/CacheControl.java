package dev.kasoku.cacheedge.policy;

import io.vertx.core.MultiMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Parsed Cache-Control directives (RFC 9111 §5.2), for requests and responses alike; the same parser
 * reads the targeted fields {@code CDN-Cache-Control} (RFC 9213) and {@code Surrogate-Control}.
 *
 * <p>Parsing is a single scan over the field lines, tolerant the way the RFC asks recipients to be:
 * directive names are case-insensitive; a value may be a token or a quoted-string (§5.2: "recipients
 * ought to accept both forms"); unknown directives are ignored (§5.2.3). Where a value is invalid or
 * directives conflict, the result errs towards the safe reading:
 * <ul>
 *   <li>an invalid or missing {@code max-age} / {@code s-maxage} value makes the response stale
 *       (value 0): §4.2.1 "a cache ought to consider responses with invalid freshness information to
 *       be stale";</li>
 *   <li>the same directive repeated with different values is treated the same way, stale (§4.2.1
 *       "either the first occurrence should be used or the response should be considered stale");
 *       for the stale-* grants the smaller value is kept, for {@code min-fresh} the larger;</li>
 *   <li>delta-seconds above 2^31 are capped to 2147483648 (§1.2.2);</li>
 *   <li>{@code no-cache} and {@code private} with a field-name list are "qualified"; an unqualified
 *       occurrence anywhere wins (it is the more restrictive).</li>
 * </ul>
 * Instances are immutable; {@link #EMPTY} stands for "no directives".
 */
public final class CacheControl {
  /** Value of the numeric accessors when the directive is absent. */
  public static final long ABSENT = -1;
  /** Value of {@link #maxStale()} for {@code max-stale} without a value (any staleness). */
  public static final long UNLIMITED = Long.MAX_VALUE;
  /** RFC 9111 §1.2.2: delta-seconds that overflow are replaced by this. */
  public static final long DELTA_SECONDS_CAP = 2_147_483_648L;

  private static final int NO_STORE = 1;
  private static final int NO_CACHE = 1 << 1;
  private static final int NO_CACHE_QUALIFIED = 1 << 2;
  private static final int PRIVATE = 1 << 3;
  private static final int PRIVATE_QUALIFIED = 1 << 4;
  private static final int PUBLIC = 1 << 5;
  private static final int MUST_REVALIDATE = 1 << 6;
  private static final int PROXY_REVALIDATE = 1 << 7;
  private static final int NO_TRANSFORM = 1 << 8;
  private static final int ONLY_IF_CACHED = 1 << 9;
  private static final int IMMUTABLE = 1 << 10;
  private static final int MUST_UNDERSTAND = 1 << 11;

  public static final CacheControl EMPTY = new CacheControl();

  private int flags;
  private long maxAge = ABSENT;
  private long sMaxAge = ABSENT;
  private long maxStale = ABSENT;
  private long minFresh = ABSENT;
  private long staleWhileRevalidate = ABSENT;
  private long staleIfError = ABSENT;
  private List<String> noCacheFields = List.of();
  private List<String> privateFields = List.of();
  private boolean any;

  private CacheControl() {}

  /** Parses every line of {@code name} in {@code headers}; {@link #EMPTY} when there is none. */
  public static CacheControl of(MultiMap headers, CharSequence name) {
    if (!headers.contains(name)) {
      return EMPTY; // the common case on requests, without allocating
    }
    List<String> lines = headers.getAll(name);
    if (lines.isEmpty()) {
      return EMPTY;
    }
    return parse(lines);
  }

  /** Parses the request's or response's {@code Cache-Control}. */
  public static CacheControl of(MultiMap headers) {
    return of(headers, "cache-control");
  }

  /** Parses one field value. */
  public static CacheControl parse(String value) {
    if (value == null || value.isEmpty()) {
      return EMPTY;
    }
    CacheControl cc = new CacheControl();
    cc.scan(value);
    return cc.any ? cc : EMPTY;
  }

  /** Parses several field lines as one combined list (RFC 9110 §5.3). */
  public static CacheControl parse(List<String> values) {
    if (values.size() == 1) {
      return parse(values.get(0));
    }
    CacheControl cc = new CacheControl();
    for (String v : values) {
      if (v != null) {
        cc.scan(v);
      }
    }
    return cc.any ? cc : EMPTY;
  }

  private void scan(String s) {
    int n = s.length();
    int i = 0;
    while (i < n) {
      char c = s.charAt(i);
      if (c == ',' || c == ' ' || c == '\t') {
        i++;
        continue;
      }
      int nameStart = i;
      while (i < n) {
        c = s.charAt(i);
        if (c == '=' || c == ',' || c == ' ' || c == '\t' || c == ';') {
          break;
        }
        i++;
      }
      int nameEnd = i;
      int j = i;
      while (j < n && (s.charAt(j) == ' ' || s.charAt(j) == '\t')) {
        j++;
      }
      // value: a quoted string (unescaped into quoted), or the token range [vs, ve)
      boolean hasValue = false;
      String quoted = null;
      int vs = -1;
      int ve = -1;
      if (j < n && s.charAt(j) == '=') {
        hasValue = true;
        j++;
        while (j < n && (s.charAt(j) == ' ' || s.charAt(j) == '\t')) {
          j++;
        }
        if (j < n && s.charAt(j) == '"') {
          StringBuilder sb = new StringBuilder();
          j++;
          while (j < n) {
            c = s.charAt(j);
            if (c == '\\' && j + 1 < n) {
              sb.append(s.charAt(j + 1));
              j += 2;
              continue;
            }
            if (c == '"') {
              j++;
              break;
            }
            sb.append(c);
            j++;
          }
          quoted = sb.toString();
        } else {
          vs = j;
          while (j < n && s.charAt(j) != ',') {
            j++;
          }
          ve = j;
          while (ve > vs && (s.charAt(ve - 1) == ' ' || s.charAt(ve - 1) == '\t')) {
            ve--;
          }
        }
      }
      // skip anything else up to the next comma (parameters, garbage)
      while (j < n && s.charAt(j) != ',') {
        j++;
      }
      i = j;
      if (nameEnd > nameStart) {
        apply(s, nameStart, nameEnd - nameStart, hasValue, quoted, vs, ve);
      }
    }
  }

  private static boolean is(String s, int start, int len, String name) {
    return len == name.length() && s.regionMatches(true, start, name, 0, len);
  }

  private void apply(String s, int at, int len, boolean hasValue, String quoted, int vs, int ve) {
    any = true;
    long delta = !hasValue ? -1 : quoted != null ? delta(quoted, 0, quoted.length()) : delta(s, vs, ve);
    long deltaOrStale = delta < 0 ? 0 : delta;
    if (is(s, at, len, "max-age")) {
      maxAge = merge(maxAge, deltaOrStale);
    } else if (is(s, at, len, "s-maxage")) {
      sMaxAge = merge(sMaxAge, deltaOrStale);
    } else if (is(s, at, len, "public")) {
      flags |= PUBLIC;
    } else if (is(s, at, len, "no-cache")) {
      String v = fieldList(s, hasValue, quoted, vs, ve);
      if (v == null) {
        flags |= NO_CACHE;
      } else {
        flags |= NO_CACHE_QUALIFIED;
        noCacheFields = addFields(noCacheFields, v);
      }
    } else if (is(s, at, len, "private")) {
      String v = fieldList(s, hasValue, quoted, vs, ve);
      if (v == null) {
        flags |= PRIVATE;
      } else {
        flags |= PRIVATE_QUALIFIED;
        privateFields = addFields(privateFields, v);
      }
    } else if (is(s, at, len, "no-store")) {
      flags |= NO_STORE;
    } else if (is(s, at, len, "must-revalidate")) {
      flags |= MUST_REVALIDATE;
    } else if (is(s, at, len, "stale-while-revalidate")) {
      staleWhileRevalidate = minMerge(staleWhileRevalidate, deltaOrStale);
    } else if (is(s, at, len, "stale-if-error")) {
      staleIfError = minMerge(staleIfError, deltaOrStale);
    } else if (is(s, at, len, "proxy-revalidate")) {
      flags |= PROXY_REVALIDATE;
    } else if (is(s, at, len, "immutable")) {
      flags |= IMMUTABLE;
    } else if (is(s, at, len, "no-transform")) {
      flags |= NO_TRANSFORM;
    } else if (is(s, at, len, "max-stale")) {
      maxStale = minMerge(maxStale, hasValue ? deltaOrStale : UNLIMITED);
    } else if (is(s, at, len, "min-fresh")) {
      if (delta >= 0) {
        minFresh = Math.max(minFresh, delta);
      }
    } else if (is(s, at, len, "only-if-cached")) {
      flags |= ONLY_IF_CACHED;
    } else if (is(s, at, len, "must-understand")) {
      flags |= MUST_UNDERSTAND;
    }
    // anything else: an extension directive, ignored (§5.2.3)
  }

  /** The field-name list of a qualified no-cache/private, or null for the unqualified form. */
  private static String fieldList(String s, boolean hasValue, String quoted, int vs, int ve) {
    if (!hasValue) {
      return null;
    }
    String v = quoted != null ? quoted : s.substring(vs, ve);
    return v.isBlank() ? null : v;
  }

  private static List<String> addFields(List<String> current, String value) {
    List<String> out = new ArrayList<>(current);
    for (String f : value.split(",")) {
      String t = f.trim().toLowerCase(Locale.ROOT);
      if (!t.isEmpty() && !out.contains(t)) {
        out.add(t);
      }
    }
    return List.copyOf(out);
  }

  /** Same directive twice: equal values agree, different values mean "stale" (§4.2.1). */
  private static long merge(long current, long next) {
    if (current == ABSENT || current == next) {
      return next;
    }
    return 0;
  }

  private static long minMerge(long current, long next) {
    return current == ABSENT ? next : Math.min(current, next);
  }

  /** delta-seconds (§1.2.2): digits only, capped; -1 when invalid. */
  static long delta(String value) {
    return value == null ? -1 : delta(value, 0, value.length());
  }

  private static long delta(String s, int from, int to) {
    if (from < 0 || to <= from) {
      return -1;
    }
    long v = 0;
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      if (v < DELTA_SECONDS_CAP) {
        v = v * 10 + (c - '0');
      }
    }
    return Math.min(v, DELTA_SECONDS_CAP);
  }

  /** True when no directive was present. */
  public boolean isEmpty() {
    return !any;
  }

  public boolean noStore() {
    return (flags & NO_STORE) != 0;
  }

  /** Unqualified {@code no-cache}: never used without successful validation. */
  public boolean noCache() {
    return (flags & NO_CACHE) != 0;
  }

  /** {@code no-cache} in either form; we treat the qualified form as unqualified (§5.2.2.4 note). */
  public boolean noCacheAnyForm() {
    return (flags & (NO_CACHE | NO_CACHE_QUALIFIED)) != 0;
  }

  /** Field names of a qualified {@code no-cache}, lower-case. */
  public List<String> noCacheFields() {
    return noCacheFields;
  }

  /** Unqualified {@code private}: a shared cache must not store the response (§5.2.2.7). */
  public boolean isPrivate() {
    return (flags & PRIVATE) != 0;
  }

  /** Field names of a qualified {@code private}: a shared cache must not store those fields. */
  public List<String> privateFields() {
    return privateFields;
  }

  public boolean isPublic() {
    return (flags & PUBLIC) != 0;
  }

  public boolean mustRevalidate() {
    return (flags & MUST_REVALIDATE) != 0;
  }

  public boolean proxyRevalidate() {
    return (flags & PROXY_REVALIDATE) != 0;
  }

  public boolean noTransform() {
    return (flags & NO_TRANSFORM) != 0;
  }

  public boolean onlyIfCached() {
    return (flags & ONLY_IF_CACHED) != 0;
  }

  public boolean immutable() {
    return (flags & IMMUTABLE) != 0;
  }

  public boolean mustUnderstand() {
    return (flags & MUST_UNDERSTAND) != 0;
  }

  /** {@code max-age} seconds, or {@link #ABSENT}; 0 when invalid or conflicting. */
  public long maxAge() {
    return maxAge;
  }

  /** {@code s-maxage} seconds, or {@link #ABSENT}; 0 when invalid or conflicting. */
  public long sMaxAge() {
    return sMaxAge;
  }

  /** Request {@code max-stale}: seconds, {@link #UNLIMITED} without value, or {@link #ABSENT}. */
  public long maxStale() {
    return maxStale;
  }

  /** Request {@code min-fresh} seconds, or {@link #ABSENT}. */
  public long minFresh() {
    return minFresh;
  }

  /** RFC 5861 {@code stale-while-revalidate} seconds, or {@link #ABSENT}. */
  public long staleWhileRevalidate() {
    return staleWhileRevalidate;
  }

  /** RFC 5861 {@code stale-if-error} seconds, or {@link #ABSENT}. */
  public long staleIfError() {
    return staleIfError;
  }

  @Override
  public String toString() {
    if (!any) {
      return "";
    }
    List<String> parts = new ArrayList<>();
    if (noStore()) parts.add("no-store");
    if (noCache()) parts.add("no-cache");
    if (!noCacheFields.isEmpty()) parts.add("no-cache=\"" + String.join(", ", noCacheFields) + "\"");
    if (isPrivate()) parts.add("private");
    if (!privateFields.isEmpty()) parts.add("private=\"" + String.join(", ", privateFields) + "\"");
    if (isPublic()) parts.add("public");
    if (mustRevalidate()) parts.add("must-revalidate");
    if (proxyRevalidate()) parts.add("proxy-revalidate");
    if (maxAge != ABSENT) parts.add("max-age=" + maxAge);
    if (sMaxAge != ABSENT) parts.add("s-maxage=" + sMaxAge);
    if (staleWhileRevalidate != ABSENT) parts.add("stale-while-revalidate=" + staleWhileRevalidate);
    if (staleIfError != ABSENT) parts.add("stale-if-error=" + staleIfError);
    if (maxStale != ABSENT) parts.add(maxStale == UNLIMITED ? "max-stale" : "max-stale=" + maxStale);
    if (minFresh != ABSENT) parts.add("min-fresh=" + minFresh);
    if (onlyIfCached()) parts.add("only-if-cached");
    if (noTransform()) parts.add("no-transform");
    if (immutable()) parts.add("immutable");
    return String.join(", ", parts);
  }
}
