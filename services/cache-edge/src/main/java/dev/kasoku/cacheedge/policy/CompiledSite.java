package dev.kasoku.cacheedge.policy;

import dev.kasoku.common.model.Ids;
import dev.kasoku.common.site.QueryPolicy;
import dev.kasoku.common.site.SiteConfig;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A site's configuration compiled for the request path: regexes compiled once, durations in
 * seconds, the rule for each path computed by a first-match scan.
 *
 * <h2>What a rule's TTL means</h2>
 * With {@code honorOriginCacheControl: true} (the default) the origin's explicit freshness
 * ({@code s-maxage}, {@code max-age}, {@code Expires}, or a targeted field) wins; the matching rule's
 * {@code ttl}, else the site's {@code defaultTtl} when positive, applies to responses that carry no
 * explicit freshness, before heuristic freshness. With {@code honorOriginCacheControl: false} the
 * rule's TTL (else defaultTtl) replaces the origin's freshness directives; the origin's
 * {@code no-store}, {@code private} and Set-Cookie still prevent storage, and so do a request's
 * Cookie and a Content-Type that contradicts the path when only the site gives the lifetime
 * (privacy is never overridden; see {@link Storability}). See {@link Freshness}.
 *
 * <h2>Regex safety</h2>
 * {@code pathRegex} is customer-written and runs against attacker-chosen paths, so a catastrophic
 * backtracking pattern must not pin an event loop: matching runs over a {@link CharSequence} that
 * counts character reads and aborts after {@link #REGEX_STEP_BUDGET}. An aborted match yields
 * {@link #PASS_RULE} (not cached, forwarded), never a silent non-match that could skip a
 * {@code cache: false} rule.
 */
public final class CompiledSite {
  /** Character reads allowed per regex match before it is abandoned. */
  public static final int REGEX_STEP_BUDGET = 100_000;

  /**
   * The effective rule for one request path.
   *
   * @param index index of the matching rule in the config, -1 for the site default, -2 for
   *     {@link #PASS_RULE}
   * @param ttlSeconds the rule's TTL in seconds, or -1 when the rule sets none (site default applies)
   * @param cache false: pass to origin, never store
   * @param query how the query string is keyed and forwarded
   * @param cookiesPrivate true unless the rule says {@code "cookies": "ignore"}: a response to a
   *     request with Cookie is then stored only when the origin gave its freshness ({@link Storability})
   */
  public record EffectiveRule(int index, long ttlSeconds, boolean cache, QueryPolicy query,
                              boolean cookiesPrivate) {}

  /** Used when a rule's regex exceeded its budget: safest is to neither cache nor drop the request. */
  public static final EffectiveRule PASS_RULE = new EffectiveRule(-2, -1, false, QueryPolicy.KEEP, true);

  private final String tenant;
  private final String site;
  private final SiteConfig config;
  private final String keyPrefix;
  private final String[] prefixes;
  private final Pattern[] regexes;
  private final EffectiveRule[] rules;
  private final EffectiveRule defaultRule;
  private final long defaultTtlSeconds;
  private final boolean honorOrigin;
  private final long swrSeconds;
  private final long sieSeconds;
  private final boolean shareSetCookie;
  private final long maxObjectSize;
  private final boolean deceptionGuard;
  private final boolean peerFill;
  private final long maxRequestBody;

  /**
   * The tenant id of the edge's own internal site (its start-up warm-up): outside the id syntax
   * ({@code [a-z0-9][a-z0-9-]*}), so no tenant, site, purge or counter of the control plane can name it.
   */
  public static final String INTERNAL_TENANT = "_internal";

  private CompiledSite(String tenant, String site, SiteConfig config) {
    this(Ids.requireValid(tenant), site, config, true);
  }

  private CompiledSite(String tenant, String site, SiteConfig config, boolean checked) {
    this.tenant = tenant;
    this.site = Ids.requireValid(site);
    this.config = config;
    this.keyPrefix = KeyFormat.sitePrefix(tenant, site);
    List<SiteConfig.Rule> rs = config.rules();
    this.prefixes = new String[rs.size()];
    this.regexes = new Pattern[rs.size()];
    this.rules = new EffectiveRule[rs.size()];
    for (int i = 0; i < rs.size(); i++) {
      SiteConfig.Rule r = rs.get(i);
      prefixes[i] = r.match().pathPrefix();
      regexes[i] = r.match().pathRegex() == null ? null : Pattern.compile(r.match().pathRegex());
      Duration ttl = r.ttlDuration();
      rules[i] = new EffectiveRule(i, ttl == null ? -1 : ttl.getSeconds(), r.cacheOrDefault(),
          r.queryOrDefault(), r.cookiesPrivate());
    }
    this.defaultRule = new EffectiveRule(-1, -1, true, QueryPolicy.KEEP, true);
    this.defaultTtlSeconds = config.defaultTtlDuration().getSeconds();
    this.honorOrigin = config.honorOriginCacheControlOrDefault();
    this.swrSeconds = config.staleWhileRevalidateDuration().getSeconds();
    this.sieSeconds = config.staleIfErrorDuration().getSeconds();
    this.shareSetCookie = config.shareSetCookieOrDefault();
    this.maxObjectSize = config.maxObjectSizeBytes();
    this.deceptionGuard = config.deceptionGuardOrDefault();
    this.peerFill = config.peerFillOrDefault();
    this.maxRequestBody = config.maxRequestBodyBytes();
  }

  /**
   * Compiles a site.
   *
   * @throws SiteConfig.InvalidSiteConfigException when {@code config.validate()} reports problems
   * @throws IllegalArgumentException when an id is invalid
   */
  public static CompiledSite compile(String tenant, String site, SiteConfig config) {
    List<String> problems = config.validate();
    if (!problems.isEmpty()) {
      throw new SiteConfig.InvalidSiteConfigException(problems);
    }
    return new CompiledSite(tenant, site, config);
  }

  /**
   * The edge's internal site {@code site} of {@link #INTERNAL_TENANT}, compiled without the checks a
   * tenant's config passes (its origin is the edge's own loopback server, its host name is drawn at
   * random by the edge): only the edge builds one, never from a stored config.
   */
  public static CompiledSite internal(String site, SiteConfig config) {
    return new CompiledSite(INTERNAL_TENANT, site, config, true);
  }

  /** The rule for a normalised path ({@link CacheKey#normalizePath}); first match wins. */
  public EffectiveRule ruleFor(String path) {
    for (int i = 0; i < rules.length; i++) {
      if (prefixes[i] != null) {
        if (path.startsWith(prefixes[i])) {
          return rules[i];
        }
      } else {
        try {
          if (regexes[i].matcher(new BudgetedChars(path, REGEX_STEP_BUDGET)).find()) {
            return rules[i];
          }
        } catch (BudgetExceeded e) {
          return PASS_RULE;
        }
      }
    }
    return defaultRule;
  }

  public String tenant() {
    return tenant;
  }

  public String site() {
    return site;
  }

  public SiteConfig config() {
    return config;
  }

  /** {@code tenant ':' site ':'}: ids cannot contain ':', so prefixes of two sites never overlap. */
  public String keyPrefix() {
    return keyPrefix;
  }

  public List<String> hostnames() {
    return config.hostnames();
  }

  public long defaultTtlSeconds() {
    return defaultTtlSeconds;
  }

  public boolean honorOriginCacheControl() {
    return honorOrigin;
  }

  /** Site default stale-while-revalidate in seconds (0 when unset). */
  public long staleWhileRevalidateSeconds() {
    return swrSeconds;
  }

  /** Site default stale-if-error in seconds (0 when unset). */
  public long staleIfErrorSeconds() {
    return sieSeconds;
  }

  public boolean shareSetCookie() {
    return shareSetCookie;
  }

  /** Per-site object size limit in bytes, or -1 for the edge default. */
  public long maxObjectSize() {
    return maxObjectSize;
  }

  /** True unless the site turned the cache-deception guard off ({@link DeceptionGuard}). */
  public boolean deceptionGuard() {
    return deceptionGuard;
  }

  /**
   * True unless the site turned peer fill off: its misses may then go through their owner edge, and
   * this edge fills them for its peers.
   */
  public boolean peerFill() {
    return peerFill;
  }

  /** The largest request body forwarded for this site, in bytes; larger ones are answered 413. */
  public long maxRequestBody() {
    return maxRequestBody;
  }

  private static final class BudgetExceeded extends RuntimeException {
    BudgetExceeded() {
      super("regex budget exceeded", null, false, false);
    }
  }

  /** A CharSequence that aborts the regex engine after a number of reads. */
  private static final class BudgetedChars implements CharSequence {
    private final String s;
    private final int offset;
    private final int length;
    private final int[] budget;

    BudgetedChars(String s, int budget) {
      this(s, 0, s.length(), new int[] {budget});
    }

    private BudgetedChars(String s, int offset, int length, int[] budget) {
      this.s = s;
      this.offset = offset;
      this.length = length;
      this.budget = budget;
    }

    @Override
    public int length() {
      return length;
    }

    @Override
    public char charAt(int index) {
      if (--budget[0] < 0) {
        throw new BudgetExceeded();
      }
      return s.charAt(offset + index);
    }

    @Override
    public CharSequence subSequence(int start, int end) {
      return new BudgetedChars(s, offset + start, end - start, budget);
    }

    @Override
    public String toString() {
      return s.substring(offset, offset + length);
    }
  }
}
