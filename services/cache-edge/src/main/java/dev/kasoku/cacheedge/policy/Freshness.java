package dev.kasoku.cacheedge.policy;

import io.vertx.core.MultiMap;
import java.time.Instant;
import java.util.List;

/**
 * Freshness lifetime, age and stale windows of one stored response (RFC 9111 §4.2, RFC 5861),
 * computed once when the response arrives (or is revalidated) and then asked, on every hit, "is it
 * still fresh at {@code now}?".
 *
 * <h2>Lifetime (§4.2.1), in order</h2>
 * <ol>
 *   <li>The origin's explicit freshness: from a targeted field ({@link TargetedControls}: its
 *       {@code s-maxage}, else {@code max-age}; Expires is then ignored, RFC 9213), or from
 *       Cache-Control: {@code s-maxage}, else {@code max-age}, else {@code Expires − Date} (an invalid
 *       Expires means already expired, §5.3). Ignored when the site sets
 *       {@code honorOriginCacheControl: false}, except for targeted fields, which address us
 *       specifically, and except for error statuses (below).</li>
 *   <li>The matching rule's {@code ttl}, else the site's {@code defaultTtl} when positive, for
 *       non-error statuses that are heuristically cacheable (RFC 9110 §15.1) or marked public.</li>
 *   <li>Heuristic freshness (§4.2.2) for the same statuses with a Last-Modified: 10% of
 *       {@code Date − Last-Modified}, at most {@link #HEURISTIC_CAP_SECONDS}.</li>
 * </ol>
 * Error statuses (4xx, 5xx) only ever get the origin's explicit lifetime, never a site TTL nor a
 * heuristic one, whatever the site config says: an attacker who makes the origin answer 400 once
 * must not get that 400 served to everyone for a day (CPDoS).
 *
 * <h2>Age (§4.2.3)</h2>
 * <pre>
 * apparent_age          = max(0, response_time - date_value)
 * response_delay        = response_time - request_time
 * corrected_age_value   = age_value + response_delay
 * corrected_initial_age = max(apparent_age, corrected_age_value)
 * current_age           = corrected_initial_age + (now - response_time)
 * </pre>
 * computed in milliseconds; a missing or invalid Date counts as response_time, an invalid Age as 0.
 *
 * <h2>Serving stale</h2>
 * Stale windows come from the response's {@code stale-while-revalidate} / {@code stale-if-error}
 * (RFC 5861), else from the site defaults. {@code must-revalidate}, {@code proxy-revalidate} and
 * {@code no-cache} forbid serving stale at all (§4.2.4); {@code s-maxage} implies proxy-revalidate
 * (§5.2.2.10), so with s-maxage only stale windows the response grants explicitly apply. A
 * {@code no-cache} response is stored but validated before every use (§5.2.2.4).
 *
 * <h2>Who granted the lifetime</h2>
 * {@link #originGranted()} tells whether the origin stated a lifetime itself ({@code s-maxage},
 * {@code max-age} or {@code Expires}, in Cache-Control or a targeted field), whether or not the site
 * honours it. When it did not, whatever lifetime the object has comes from the site's config or the
 * heuristic, and {@link Storability} then refuses what only the origin could vouch for (a Cookie
 * request's response, a Content-Type that contradicts the path).
 *
 * <p><b>Arithmetic saturates.</b> Lifetimes and windows are bounded by the config (a year) and by
 * the delta-seconds cap (2^31 s), but every seconds-to-milliseconds conversion and every sum of
 * instants saturates at {@link Long#MAX_VALUE} anyway: an overflow would turn "fresh for ever" into
 * "stale since 1970", silently disabling caching.
 *
 * <p>Instances are immutable; all times are epoch milliseconds inside, {@link Instant} outside.
 */
public final class Freshness {
  /** Upper bound of heuristic freshness. */
  public static final long HEURISTIC_CAP_SECONDS = 86_400;

  /** Where the lifetime came from. */
  public enum Source { S_MAXAGE, MAX_AGE, EXPIRES, SITE_RULE, SITE_DEFAULT, HEURISTIC, NONE }

  /** What a stored response may be used for at a given moment. */
  public enum Verdict {
    /** Serve it. */
    FRESH,
    /** Serve it stale and revalidate in the background (once, collapsed). */
    STALE_WHILE_REVALIDATE,
    /** Validate with the origin first; serve stale only on error if {@link #staleIfErrorAllows}. */
    STALE
  }

  private final long requestTimeMs;
  private final long responseTimeMs;
  private final long correctedInitialAgeMs;
  private final long lifetimeMs;
  private final long swrMs;
  private final long sieMs;
  /**
   * {@link Source} ordinal in the low bits and the three flags above it, in one byte: a full cache
   * holds one instance per object, and four fields would cost 8 bytes more each.
   */
  private final byte bits;
  private static final Source[] SOURCES = Source.values();
  private static final int SOURCE_MASK = 0x7;
  private static final int NO_STALE = 0x8;
  private static final int ALWAYS_REVALIDATE = 0x10;
  private static final int ORIGIN_GRANTED = 0x20;

  static {
    if (SOURCES.length > SOURCE_MASK + 1) {
      throw new AssertionError("Source ordinals must fit the mask");
    }
  }

  private Freshness(long requestTimeMs, long responseTimeMs, long correctedInitialAgeMs, long lifetimeMs, long swrMs,
                    long sieMs, boolean noStale, boolean alwaysRevalidate, Source source, boolean originGranted) {
    this.requestTimeMs = requestTimeMs;
    this.responseTimeMs = responseTimeMs;
    this.correctedInitialAgeMs = correctedInitialAgeMs;
    this.lifetimeMs = lifetimeMs;
    this.swrMs = swrMs;
    this.sieMs = sieMs;
    this.bits = (byte) (source.ordinal() | (noStale ? NO_STALE : 0) | (alwaysRevalidate ? ALWAYS_REVALIDATE : 0)
        | (originGranted ? ORIGIN_GRANTED : 0));
  }

  /**
   * Computes the freshness of a response as received from the origin (or as updated by a 304).
   *
   * @param status the response status
   * @param responseHeaders the response header fields as received (Date, Age, Expires, ...)
   * @param controls the directives selected by {@link TargetedControls#select}
   * @param site the site
   * @param rule the request's rule ({@link CanonicalRequest#rule()})
   * @param requestTime when the request was sent to the origin
   * @param responseTime when the response (its header section) arrived
   */
  public static Freshness compute(int status, MultiMap responseHeaders, TargetedControls controls,
                                  CompiledSite site, CompiledSite.EffectiveRule rule,
                                  Instant requestTime, Instant responseTime) {
    long reqMs = requestTime.toEpochMilli();
    long respMs = responseTime.toEpochMilli();
    long dateMs = HttpDates.parseMillis(responseHeaders.get("date"));
    if (dateMs == HttpDates.INVALID) {
      dateMs = respMs;
    }
    long ageValueMs = millis(ageValue(responseHeaders));
    long apparent = Math.max(0, respMs - dateMs);
    long delay = Math.max(0, respMs - reqMs);
    long correctedInitialAge = Math.max(apparent, plus(ageValueMs, delay));

    CacheControl cc = controls.directives();
    boolean error = status >= 400;
    boolean honorOrigin = site.honorOriginCacheControl() || controls.targeted() || error;
    boolean originGranted = cc.sMaxAge() != CacheControl.ABSENT || cc.maxAge() != CacheControl.ABSENT
        || (!controls.targeted() && responseHeaders.contains("expires"));

    long lifetimeS = -1;
    Source source = Source.NONE;
    if (honorOrigin) {
      if (cc.sMaxAge() != CacheControl.ABSENT) {
        lifetimeS = cc.sMaxAge();
        source = Source.S_MAXAGE;
      } else if (cc.maxAge() != CacheControl.ABSENT) {
        lifetimeS = cc.maxAge();
        source = Source.MAX_AGE;
      } else if (!controls.targeted()) {
        List<String> expires = responseHeaders.getAll("expires");
        if (!expires.isEmpty()) {
          source = Source.EXPIRES;
          long exp = HttpDates.parseMillis(expires.get(0));
          boolean conflicting = false;
          for (int i = 1; i < expires.size(); i++) {
            conflicting |= !expires.get(i).equals(expires.get(0));
          }
          lifetimeS = exp == HttpDates.INVALID || conflicting ? 0 : Math.max(0, (exp - dateMs) / 1000);
        }
      }
    }
    boolean defaultCacheable = heuristicallyCacheable(status) || (cc.isPublic() && status < 400);
    if (source == Source.NONE && !error && defaultCacheable) {
      if (rule.ttlSeconds() >= 0) {
        lifetimeS = rule.ttlSeconds();
        source = Source.SITE_RULE;
      } else if (site.defaultTtlSeconds() > 0) {
        lifetimeS = site.defaultTtlSeconds();
        source = Source.SITE_DEFAULT;
      } else if (site.honorOriginCacheControl()) {
        long lm = HttpDates.parseMillis(responseHeaders.get("last-modified"));
        if (lm != HttpDates.INVALID && lm < dateMs) {
          lifetimeS = Math.min(HEURISTIC_CAP_SECONDS, (dateMs - lm) / 10_000);
          source = Source.HEURISTIC;
        }
      }
    }
    if (lifetimeS < 0) {
      lifetimeS = 0;
    }

    boolean directivesApply = honorOrigin;
    boolean noStale = directivesApply
        && (cc.mustRevalidate() || cc.proxyRevalidate() || cc.noCacheAnyForm());
    boolean alwaysRevalidate = directivesApply && cc.noCacheAnyForm();
    long swr;
    long sie;
    if (directivesApply) {
      boolean impliedProxyRevalidate = source == Source.S_MAXAGE;
      long siteSwr = impliedProxyRevalidate || error ? 0 : site.staleWhileRevalidateSeconds();
      long siteSie = impliedProxyRevalidate || error ? 0 : site.staleIfErrorSeconds();
      swr = cc.staleWhileRevalidate() != CacheControl.ABSENT ? cc.staleWhileRevalidate() : siteSwr;
      sie = cc.staleIfError() != CacheControl.ABSENT ? cc.staleIfError() : siteSie;
    } else {
      swr = site.staleWhileRevalidateSeconds();
      sie = site.staleIfErrorSeconds();
    }
    if (noStale) {
      swr = 0;
      sie = 0;
    }
    return new Freshness(reqMs, respMs, correctedInitialAge, millis(lifetimeS), millis(swr), millis(sie),
        noStale, alwaysRevalidate, source, originGranted);
  }

  /** Non-negative seconds as milliseconds, saturating. */
  static long millis(long seconds) {
    return seconds >= Long.MAX_VALUE / 1000 ? Long.MAX_VALUE : seconds * 1000L;
  }

  /** a + b for a non-negative b, saturating. */
  private static long plus(long a, long b) {
    long r = a + b;
    return r < a ? Long.MAX_VALUE : r;
  }

  /** RFC 9110 §15.1: status codes heuristically cacheable (cacheable by default). */
  public static boolean heuristicallyCacheable(int status) {
    return switch (status) {
      case 200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501 -> true;
      default -> false;
    };
  }

  /**
   * The Age header's value in seconds (RFC 9111 §5.1): "a cache encountering a message with a
   * list-based Age field value SHOULD use the first member of the field value, discarding subsequent
   * ones" (the first member of the first line: {@code 7200, 0} is 7200), and "If the field value
   * (after discarding additional members, as per above) is invalid (e.g., it contains something other
   * than a non-negative integer), a cache SHOULD ignore the field" (0: no age from upstream).
   */
  static long ageValue(MultiMap headers) {
    String age = headers.get("age");
    if (age == null) {
      return 0;
    }
    int comma = age.indexOf(',');
    long v = CacheControl.delta((comma < 0 ? age : age.substring(0, comma)).trim());
    return v < 0 ? 0 : v;
  }

  /** current_age in milliseconds (§4.2.3). */
  public long currentAgeMillis(Instant now) {
    return plus(correctedInitialAgeMs, Math.max(0, now.toEpochMilli() - responseTimeMs));
  }

  /** current_age in whole seconds, capped (§1.2.2): the value of the Age header we send. */
  public long ageSeconds(Instant now) {
    return Math.min(currentAgeMillis(now) / 1000, CacheControl.DELTA_SECONDS_CAP);
  }

  /** True while current_age is below the lifetime (and the response does not need validation). */
  public boolean isFresh(Instant now) {
    return !alwaysRevalidateBit() && lifetimeMs > currentAgeMillis(now);
  }

  /** Remaining freshness in whole seconds; negative once stale (the Cache-Status {@code ttl}). */
  public long ttlSeconds(Instant now) {
    return Math.floorDiv(lifetimeMs - currentAgeMillis(now), 1000L);
  }

  /**
   * What the stored response may be used for now.
   *
   * @param request the request's Cache-Control; pass {@link CacheControl#EMPTY} to ignore client
   *     directives (a site may not want clients to force revalidation). Honoured: {@code no-cache}
   *     and {@code max-age} (validate first), {@code min-fresh}. {@code max-stale} is not honoured
   *     (we never serve stale beyond what the origin or the site allows).
   */
  public Verdict verdict(Instant now, CacheControl request) {
    long age = currentAgeMillis(now);
    if (alwaysRevalidateBit()) {
      return Verdict.STALE;
    }
    if (request.noCache()
        || (request.maxAge() != CacheControl.ABSENT && age > millis(request.maxAge()))
        || (request.minFresh() != CacheControl.ABSENT && lifetimeMs - age < millis(request.minFresh()))) {
      return Verdict.STALE;
    }
    if (lifetimeMs > age) {
      return Verdict.FRESH;
    }
    long staleness = age - lifetimeMs;
    return staleness <= swrMs && swrMs > 0 ? Verdict.STALE_WHILE_REVALIDATE : Verdict.STALE;
  }

  /**
   * The verdict for an object a soft purge marked stale, whatever its age: it must be revalidated,
   * and may be served meanwhile only where stale-while-revalidate (from the origin or the site) is
   * allowed at all and neither the response nor the request forbids stale content.
   */
  public Verdict softPurgedVerdict(CacheControl request) {
    if (alwaysRevalidateBit() || noStale() || swrMs <= 0 || request.noCache()
        || request.maxAge() != CacheControl.ABSENT || request.minFresh() != CacheControl.ABSENT) {
      return Verdict.STALE;
    }
    return Verdict.STALE_WHILE_REVALIDATE;
  }

  /** True when the response may be served stale because revalidation failed (RFC 5861 §4). */
  public boolean staleIfErrorAllows(Instant now) {
    if (noStaleBit() || sieMs <= 0) {
      return false;
    }
    return currentAgeMillis(now) - lifetimeMs <= sieMs;
  }

  /** The instant the response becomes stale (epoch ms). */
  public long freshUntilMillis() {
    return plus(responseTimeMs - correctedInitialAgeMs, lifetimeMs);
  }

  /**
   * The instant after which no stale window applies any more (epoch ms); a store may evict the
   * object then, unless it keeps it longer for conditional revalidation (validators present).
   */
  public long staleUntilMillis() {
    return plus(freshUntilMillis(), Math.max(swrMs, sieMs));
  }

  public long lifetimeSeconds() {
    return lifetimeMs / 1000;
  }

  public Source source() {
    return sourceBits();
  }

  /** True when the lifetime was given by the origin (s-maxage, max-age, Expires). */
  public boolean explicit() {
    return sourceBits() == Source.S_MAXAGE || sourceBits() == Source.MAX_AGE || sourceBits() == Source.EXPIRES;
  }

  /**
   * True when the origin itself stated a lifetime (s-maxage, max-age or Expires, in Cache-Control
   * or a targeted field), whether or not the site honours it.
   */
  public boolean originGranted() {
    return originGrantedBit();
  }

  /** True when stale serving is forbidden (must-revalidate, proxy-revalidate, no-cache). */
  public boolean noStale() {
    return noStaleBit();
  }

  /** True when every use needs validation first ({@code no-cache}). */
  public boolean alwaysRevalidate() {
    return alwaysRevalidateBit();
  }

  public long staleWhileRevalidateSeconds() {
    return swrMs / 1000;
  }

  public long staleIfErrorSeconds() {
    return sieMs / 1000;
  }

  public Instant responseTime() {
    return Instant.ofEpochMilli(responseTimeMs);
  }

  /** When the request that produced the response was sent (purge: no resurrection by older fetches). */
  public long requestTimeMillis() {
    return requestTimeMs;
  }

  @Override
  public String toString() {
    return "Freshness[" + sourceBits() + " lifetime=" + lifetimeMs / 1000 + "s initialAge="
        + correctedInitialAgeMs + "ms swr=" + swrMs / 1000 + "s sie=" + sieMs / 1000 + "s"
        + (noStaleBit() ? " noStale" : "") + (alwaysRevalidateBit() ? " noCache" : "") + "]";
  }

  private boolean noStaleBit() {
    return (bits & NO_STALE) != 0;
  }

  private boolean alwaysRevalidateBit() {
    return (bits & ALWAYS_REVALIDATE) != 0;
  }

  private boolean originGrantedBit() {
    return (bits & ORIGIN_GRANTED) != 0;
  }

  private Source sourceBits() {
    return SOURCES[bits & SOURCE_MASK];
  }
}
