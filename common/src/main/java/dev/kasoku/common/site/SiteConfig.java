package dev.kasoku.common.site;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.kasoku.common.config.Sizes;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A site's configuration document, exactly the JSON of docs/openapi.yaml (schema SiteConfig), decoded once at the
 * boundary (config API, edge routing table) into records.
 *
 * <p>Durations stay in their JSON text form ("90s", "1h", "7d") so that a stored document round-trips
 * byte-for-byte; the typed accessors ({@link #defaultTtlDuration()} ...) parse them with
 * {@link Sizes#parseDuration}. {@link #validate()} reports every problem at once, each naming the
 * JSON path, so an editor fixes a document in one round trip. Unknown keys are rejected by
 * {@link #parse} (a typo such as {@code "defaultTTL"} must not silently mean "no TTL").
 *
 * <p>Fields beyond the documented public contract (additive: a client that does not send them gets the defaults): {@code shareSetCookie} (default false: a
 * response carrying Set-Cookie is never stored for sharing), {@code maxObjectSize} (a byte size
 * such as "64m" overriding the edge's default object size limit for this site),
 * {@code deceptionGuard} (default true: a response whose Content-Type contradicts the path's
 * extension is stored only when the origin gave its freshness), {@code maxRequestBody} (a byte size,
 * default {@link #DEFAULT_MAX_REQUEST_BODY}: larger request bodies are refused with 413) and, per
 * rule, {@code cookies} ("private", the default: a response to a request carrying Cookie is stored
 * only when the origin gave its freshness; "ignore": Cookie does not matter for storing) and
 * {@code peerFill} (default true: in a cluster of edges, a miss for a key another edge owns is
 * filled through that owner; false: every edge fetches this site's objects from the origin itself
 * and never fills them for a peer).
 *
 * <p>Durations are bounded by {@link #MAX_DURATION} (one year): a longer TTL means nothing a cache
 * could honour, and a value near the limits of {@code long} would overflow millisecond arithmetic.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SiteConfig(
    List<String> hostnames,
    List<Origin> origins,
    String defaultTtl,
    Boolean honorOriginCacheControl,
    List<Rule> rules,
    String staleWhileRevalidate,
    String staleIfError,
    Tls tls,
    Boolean shareSetCookie,
    String maxObjectSize,
    Boolean deceptionGuard,
    String maxRequestBody,
    Boolean peerFill) {

  public static final Duration DEFAULT_TTL = Duration.ZERO;
  public static final int MAX_HOSTNAMES = 100;
  public static final int MAX_RULES = 200;
  public static final int MAX_QUERY_NAMES = 100;
  public static final int MAX_REGEX_LENGTH = 1000;
  /** The longest duration a site document may give (TTLs, stale windows). */
  public static final Duration MAX_DURATION = Duration.ofDays(365);
  /** How the limit is spelled in problems and docs. */
  public static final String MAX_DURATION_TEXT = "365d";
  /** Request bodies larger than this are refused with 413 unless the site says otherwise. */
  public static final long DEFAULT_MAX_REQUEST_BODY = 100L << 20;

  private static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  public SiteConfig {
    hostnames = hostnames == null ? List.of() : List.copyOf(hostnames);
    origins = origins == null ? List.of() : List.copyOf(origins);
    rules = rules == null ? List.of() : List.copyOf(rules);
  }

  /** One origin server; {@code weight} defaults to 1. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Origin(String url, Integer weight) {
    @JsonIgnore
    public int weightOrDefault() {
      return weight == null ? 1 : weight;
    }
  }

  /** A path matcher: exactly one of {@code pathPrefix} and {@code pathRegex}. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Match(String pathPrefix, String pathRegex) {}

  /**
   * A cache rule. {@code ttl} replaces the site's {@code defaultTtl} for matching paths; {@code
   * cache: false} passes matching requests straight to the origin; {@code query} shapes the cache
   * key and the forwarded query; {@code cookies} says whether a request's Cookie keeps its
   * response out of the cache when only the site gives it a lifetime ({@link #COOKIES_PRIVATE},
   * the default) or not ({@link #COOKIES_IGNORE}). Rules are tried in order, the first match wins.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Rule(Match match, String ttl, Boolean cache, QueryPolicy query, String cookies) {
    /** True unless the rule says {@code "cookies": "ignore"}. */
    @JsonIgnore
    public boolean cookiesPrivate() {
      return !COOKIES_IGNORE.equals(cookies);
    }

    @JsonIgnore
    public Duration ttlDuration() {
      return ttl == null ? null : Sizes.parseDuration(ttl);
    }

    @JsonIgnore
    public boolean cacheOrDefault() {
      return cache == null || cache;
    }

    @JsonIgnore
    public QueryPolicy queryOrDefault() {
      return query == null ? QueryPolicy.KEEP : query;
    }
  }

  /** Rule {@code cookies} value: a Cookie request's response needs the origin's own freshness to be stored. */
  public static final String COOKIES_PRIVATE = "private";
  /** Rule {@code cookies} value: the request's Cookie field does not matter for storing. */
  public static final String COOKIES_IGNORE = "ignore";

  /** The site's own certificate and key (PEM); stored encrypted by the config service. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Tls(String certificatePem, String privateKeyPem) {}

  /** Thrown by {@link #parse} when the document is not JSON of the right shape or fails validation. */
  public static final class InvalidSiteConfigException extends IllegalArgumentException {
    private final List<String> problems;

    public InvalidSiteConfigException(List<String> problems) {
      super("invalid site config: " + String.join("; ", problems));
      this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
      return problems;
    }
  }

  /**
   * Decodes and validates a document.
   *
   * @throws InvalidSiteConfigException listing every problem (or the one decoding failure)
   */
  public static SiteConfig parse(String json) {
    SiteConfig cfg;
    try {
      cfg = MAPPER.readValue(json, SiteConfig.class);
    } catch (UnrecognizedPropertyException e) {
      throw new InvalidSiteConfigException(List.of("unknown key '" + e.getPropertyName() + "' at "
          + pathOf(e)));
    } catch (JsonProcessingException e) {
      // the path names the key of a value of the wrong type ("peerFill": "off")
      throw new InvalidSiteConfigException(List.of("not a valid site config document at " + pathOf(e) + ": "
          + e.getOriginalMessage()));
    }
    if (cfg == null) {
      throw new InvalidSiteConfigException(List.of("document is null"));
    }
    List<String> problems = cfg.validate();
    if (!problems.isEmpty()) {
      throw new InvalidSiteConfigException(problems);
    }
    return cfg;
  }

  private static String pathOf(JsonProcessingException e) {
    if (e instanceof com.fasterxml.jackson.databind.JsonMappingException m) {
      StringBuilder sb = new StringBuilder("$");
      for (var ref : m.getPath()) {
        if (ref.getFieldName() != null) {
          sb.append('.').append(ref.getFieldName());
        } else {
          sb.append('[').append(ref.getIndex()).append(']');
        }
      }
      return sb.toString();
    }
    return "$";
  }

  /** The document as JSON (null fields omitted). */
  public String toJson() {
    try {
      return MAPPER.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Every problem of the document, each naming its JSON path; empty when valid. */
  public List<String> validate() {
    List<String> p = new ArrayList<>();
    if (hostnames.isEmpty()) {
      p.add("hostnames: at least one hostname is required");
    }
    if (hostnames.size() > MAX_HOSTNAMES) {
      p.add("hostnames: at most " + MAX_HOSTNAMES + " hostnames");
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < hostnames.size(); i++) {
      String h = hostnames.get(i);
      String reserved = h == null ? null : Hostnames.reservedReason(h);
      if (reserved != null) {
        p.add("hostnames[" + i + "]: '" + h + "' " + reserved);
      } else if (!isValidHostname(h)) {
        p.add("hostnames[" + i + "]: '" + h + "' is not a DNS hostname (lower-case, no port)");
      } else if (!seen.add(h)) {
        p.add("hostnames[" + i + "]: '" + h + "' is listed twice");
      }
    }
    if (origins.isEmpty()) {
      p.add("origins: at least one origin is required");
    }
    for (int i = 0; i < origins.size(); i++) {
      Origin o = origins.get(i);
      if (o == null) {
        p.add("origins[" + i + "]: null");
        continue;
      }
      String problem = originUrlProblem(o.url());
      if (problem != null) {
        p.add("origins[" + i + "].url: " + problem);
      }
      if (o.weight() != null && (o.weight() < 1 || o.weight() > 1000)) {
        p.add("origins[" + i + "].weight: must be between 1 and 1000");
      }
    }
    checkDuration(p, "defaultTtl", defaultTtl);
    checkDuration(p, "staleWhileRevalidate", staleWhileRevalidate);
    checkDuration(p, "staleIfError", staleIfError);
    if (maxObjectSize != null && Sizes.parseBytes(maxObjectSize) <= 0) {
      p.add("maxObjectSize: '" + maxObjectSize + "' is not a byte size such as \"64m\"");
    }
    if (maxRequestBody != null && Sizes.parseBytes(maxRequestBody) < 0) {
      p.add("maxRequestBody: '" + maxRequestBody + "' is not a byte size such as \"10m\"");
    }
    if (rules.size() > MAX_RULES) {
      p.add("rules: at most " + MAX_RULES + " rules");
    }
    for (int i = 0; i < rules.size(); i++) {
      String at = "rules[" + i + "]";
      Rule r = rules.get(i);
      if (r == null) {
        p.add(at + ": null");
        continue;
      }
      Match m = r.match();
      if (m == null) {
        p.add(at + ".match: required");
      } else if ((m.pathPrefix() == null) == (m.pathRegex() == null)) {
        p.add(at + ".match: exactly one of pathPrefix and pathRegex");
      } else if (m.pathPrefix() != null && !m.pathPrefix().startsWith("/")) {
        p.add(at + ".match.pathPrefix: must start with '/'");
      } else if (m.pathRegex() != null) {
        if (m.pathRegex().length() > MAX_REGEX_LENGTH) {
          p.add(at + ".match.pathRegex: longer than " + MAX_REGEX_LENGTH + " characters");
        } else {
          try {
            Pattern.compile(m.pathRegex());
          } catch (PatternSyntaxException e) {
            p.add(at + ".match.pathRegex: " + e.getDescription());
          }
        }
      }
      checkDuration(p, at + ".ttl", r.ttl());
      if (r.query() != null) {
        if (r.query().mode() == QueryPolicy.Mode.INVALID) {
          p.add(at + ".query: expected \"keep\", \"ignore\", {\"only\": [names]} or {\"except\": [names]}");
        } else if (r.query().names().size() > MAX_QUERY_NAMES) {
          p.add(at + ".query: at most " + MAX_QUERY_NAMES + " names");
        }
      }
      if (Boolean.FALSE.equals(r.cache()) && r.ttl() != null) {
        p.add(at + ": ttl has no effect with cache: false");
      }
      if (r.cookies() != null && !COOKIES_PRIVATE.equals(r.cookies()) && !COOKIES_IGNORE.equals(r.cookies())) {
        p.add(at + ".cookies: expected \"" + COOKIES_PRIVATE + "\" or \"" + COOKIES_IGNORE + "\"");
      }
    }
    if (tls != null) {
      if (tls.certificatePem() == null || tls.certificatePem().isBlank()) {
        p.add("tls.certificatePem: required");
      }
      if (tls.privateKeyPem() == null || tls.privateKeyPem().isBlank()) {
        p.add("tls.privateKeyPem: required");
      }
    }
    return p;
  }

  private static void checkDuration(List<String> p, String key, String text) {
    if (text == null) {
      return;
    }
    Duration d = Sizes.parseDuration(text);
    if (d == null && text.trim().matches("[0-9]+(ms|s|m|h|d)")) {
      p.add(key + ": '" + text + "' is longer than the limit of " + MAX_DURATION_TEXT);
    } else if (d == null) {
      p.add(key + ": '" + text + "' is not a duration such as \"90s\", \"1h\" or \"7d\"");
    } else if (d.compareTo(MAX_DURATION) > 0) {
      p.add(key + ": '" + text + "' is longer than the limit of " + MAX_DURATION_TEXT);
    }
  }

  /**
   * A DNS name already in {@link Hostnames}' normal form: lower case, punycode, no port, no trailing
   * dot, last label not numeric (wildcards are not supported). The config service normalises names
   * before validating, so "WWW.Example.com." passes there as "www.example.com".
   */
  public static boolean isValidHostname(String h) {
    return h != null && Hostnames.normalise(h).map(h::equals).orElse(false);
  }

  private static String originUrlProblem(String url) {
    if (url == null) {
      return "required";
    }
    URI u;
    try {
      u = new URI(url);
    } catch (URISyntaxException e) {
      return "'" + url + "' is not a URL";
    }
    String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      return "must be an http or https URL";
    }
    if (u.getHost() == null || u.getRawUserInfo() != null) {
      return "must name a host and no user info";
    }
    if (u.getRawQuery() != null || u.getRawFragment() != null) {
      return "must not have a query or fragment";
    }
    if (u.getRawPath() != null && !u.getRawPath().isEmpty() && !u.getRawPath().equals("/")) {
      return "must not have a path";
    }
    return null;
  }

  @JsonIgnore
  public Duration defaultTtlDuration() {
    return defaultTtl == null ? DEFAULT_TTL : Sizes.parseDuration(defaultTtl);
  }

  @JsonIgnore
  public boolean honorOriginCacheControlOrDefault() {
    return honorOriginCacheControl == null || honorOriginCacheControl;
  }

  /** Site default for stale-while-revalidate; zero when unset. */
  @JsonIgnore
  public Duration staleWhileRevalidateDuration() {
    return staleWhileRevalidate == null ? Duration.ZERO : Sizes.parseDuration(staleWhileRevalidate);
  }

  /** Site default for stale-if-error; zero when unset. */
  @JsonIgnore
  public Duration staleIfErrorDuration() {
    return staleIfError == null ? Duration.ZERO : Sizes.parseDuration(staleIfError);
  }

  @JsonIgnore
  public boolean shareSetCookieOrDefault() {
    return shareSetCookie != null && shareSetCookie;
  }

  /** False only when the site turns the cache-deception guard off. */
  @JsonIgnore
  public boolean deceptionGuardOrDefault() {
    return deceptionGuard == null || deceptionGuard;
  }

  /** False only when the site turns peer fill (one cache across the edges of a cluster) off. */
  @JsonIgnore
  public boolean peerFillOrDefault() {
    return peerFill == null || peerFill;
  }

  /** The largest request body the edge forwards for this site, in bytes. */
  @JsonIgnore
  public long maxRequestBodyBytes() {
    return maxRequestBody == null ? DEFAULT_MAX_REQUEST_BODY : Sizes.parseBytes(maxRequestBody);
  }

  /** The per-site object size limit in bytes, or -1 when the edge default applies. */
  @JsonIgnore
  public long maxObjectSizeBytes() {
    return maxObjectSize == null ? -1 : Sizes.parseBytes(maxObjectSize);
  }
}
