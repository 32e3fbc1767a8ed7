package dev.kasoku.cacheedge.policy;

/**
 * Builder of the {@code Cache-Status} field value (RFC 9211), cache name "Kasoku" (docs/caching.md, Cache-Status).
 *
 * <p>Examples: {@code Kasoku; hit; ttl=42}, {@code Kasoku; fwd=miss; fwd-status=200; stored;
 * ttl=60}, {@code Kasoku; fwd=stale; fwd-status=304; ttl=60}, {@code Kasoku; hit; ttl=-5;
 * detail=stale-while-revalidate}, {@code Kasoku; fwd=bypass; detail=rule}. Parameters come out in
 * the RFC's order; {@code detail} is written as a token when it is one, else as a quoted string.
 * A builder is cheap and single-use; build one per response on the event loop.
 */
public final class CacheStatus {
  public static final String CACHE_NAME = "Kasoku";
  public static final CharSequence HEADER = io.netty.util.AsciiString.cached("Cache-Status");

  /** RFC 9211 §2.2 forward reasons. */
  public enum Fwd {
    BYPASS("bypass"), METHOD("method"), URI_MISS("uri-miss"), VARY_MISS("vary-miss"),
    MISS("miss"), REQUEST("request"), STALE("stale"), PARTIAL("partial"),
    /** Not RFC 9211's: forwarded to the key's owner among the cluster's edges (which adds its own entry). */
    PEER("peer");

    private final String token;

    Fwd(String token) {
      this.token = token;
    }

    public String token() {
      return token;
    }
  }

  private boolean hit;
  private Fwd fwd;
  private int fwdStatus = -1;
  private long ttl = Long.MIN_VALUE;
  private boolean stored;
  private boolean collapsed;
  private String key;
  private String detail;
  private String name = CACHE_NAME;
  /** Entries of caches nearer the origin (a peer edge's), placed before ours (RFC 9211 §2). */
  private String upstream;

  private CacheStatus() {}

  /** Our entry's cache name (default {@value #CACHE_NAME}; a clustered edge names its node). */
  public CacheStatus name(String name) {
    this.name = name;
    return this;
  }

  /** The entries of the cache our answer came through (a peer edge's), listed before ours. */
  public CacheStatus after(String upstreamEntries) {
    this.upstream = upstreamEntries == null || upstreamEntries.isBlank() ? null : upstreamEntries;
    return this;
  }

  /** Answered from cache (fresh, or stale with a negative ttl). */
  public static CacheStatus hit() {
    CacheStatus s = new CacheStatus();
    s.hit = true;
    return s;
  }

  /** Forwarded to the origin for {@code reason}. */
  public static CacheStatus fwd(Fwd reason) {
    CacheStatus s = new CacheStatus();
    s.fwd = reason;
    return s;
  }

  public CacheStatus fwdStatus(int status) {
    this.fwdStatus = status;
    return this;
  }

  /** Remaining freshness in seconds (negative: served stale). */
  public CacheStatus ttl(long seconds) {
    this.ttl = seconds;
    return this;
  }

  public CacheStatus stored(boolean stored) {
    this.stored = stored;
    return this;
  }

  public CacheStatus stored() {
    return stored(true);
  }

  public CacheStatus collapsed(boolean collapsed) {
    this.collapsed = collapsed;
    return this;
  }

  public CacheStatus collapsed() {
    return collapsed(true);
  }

  /** The cache key; only for debugging (it may reveal the query). */
  public CacheStatus key(String key) {
    this.key = key;
    return this;
  }

  public CacheStatus detail(String detail) {
    this.detail = detail;
    return this;
  }

  /** The field value. */
  public String value() {
    StringBuilder sb = new StringBuilder(48);
    if (upstream != null) {
      sb.append(upstream).append(", ");
    }
    sb.append(name);
    if (hit) {
      sb.append("; hit");
    }
    if (fwd != null) {
      sb.append("; fwd=").append(fwd.token);
    }
    if (fwdStatus >= 0) {
      sb.append("; fwd-status=").append(fwdStatus);
    }
    if (ttl != Long.MIN_VALUE) {
      sb.append("; ttl=").append(ttl);
    }
    if (stored) {
      sb.append("; stored");
    }
    if (collapsed) {
      sb.append("; collapsed");
    }
    if (key != null) {
      sb.append("; key=");
      appendString(sb, key);
    }
    if (detail != null) {
      sb.append("; detail=");
      if (isSfToken(detail)) {
        sb.append(detail);
      } else {
        appendString(sb, detail);
      }
    }
    return sb.toString();
  }

  @Override
  public String toString() {
    return value();
  }

  /** RFC 8941 sf-token: starts with ALPHA or '*', then tchar, ':' or '/'. */
  static boolean isSfToken(String s) {
    if (s.isEmpty()) {
      return false;
    }
    char c0 = s.charAt(0);
    if (!((c0 >= 'a' && c0 <= 'z') || (c0 >= 'A' && c0 <= 'Z') || c0 == '*')) {
      return false;
    }
    for (int i = 1; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || "!#$%&'*+-.^_`|~:/".indexOf(c) >= 0;
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** RFC 8941 sf-string: printable ASCII, '"' and '\' escaped; other characters become '?'. */
  private static void appendString(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20 || c > 0x7e) {
        sb.append('?');
      } else {
        sb.append(c);
      }
    }
    sb.append('"');
  }
}
