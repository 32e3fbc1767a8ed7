package dev.kasoku.cacheedge.policy;

/**
 * The one owner of the cache-key format: every key is built here and every part of a key is read
 * back here, so the format can change in one place.
 *
 * <pre>
 *   primary key = tenant ':' site ':' methodClass ':' host uri
 *   full key    = primary key [ SEPARATOR secondary key ]      (the secondary part only under Vary)
 * </pre>
 *
 * <p>Why it parses back unambiguously: tenant and site ids and method tokens contain no ':', a
 * normalised host contains no '/', and the uri (path and query, see {@link CacheKey}) starts with
 * '/'. So the uri starts at the first '/' after the third ':', and the method class sits between the
 * second and third ':'. A canonical uri holds no control character, so the separator (U+0001) never
 * occurs in a primary key.
 */
public final class KeyFormat {
  /** Separates the primary from the secondary part of a full key. */
  public static final char SEPARATOR = '\u0001';
  /** Method class shared by GET and HEAD (a HEAD is answered from the stored GET). */
  public static final String GET_CLASS = "GET";

  private KeyFormat() {}

  /** {@code tenant ':' site ':'}: what every key of one site starts with. */
  public static String sitePrefix(String tenant, String site) {
    return tenant + ':' + site + ':';
  }

  /** The primary key of {@code uri} on the site whose {@link #sitePrefix} is {@code sitePrefix}. */
  public static String primary(String sitePrefix, String methodClass, String host, String uri) {
    return new StringBuilder(sitePrefix.length() + methodClass.length() + host.length() + uri.length() + 1)
        .append(sitePrefix).append(methodClass).append(':').append(host).append(uri).toString();
  }

  /** The key the storage files one variant under. */
  public static String full(String primaryKey, String secondaryKey) {
    return secondaryKey.isEmpty() ? primaryKey : primaryKey + SEPARATOR + secondaryKey;
  }

  /**
   * Start of the uri in a primary key: the first '/' after the third ':'; -1 when the key does not
   * have that form.
   */
  public static int uriStart(String primaryKey) {
    int i = thirdColon(primaryKey);
    return i < 0 ? -1 : primaryKey.indexOf('/', i + 1);
  }

  /** The uri at the end of a primary key, or null when the key does not have the format's form. */
  public static String uri(String primaryKey) {
    int start = uriStart(primaryKey);
    return start < 0 ? null : primaryKey.substring(start);
  }

  /** The normalised host of a primary key, or null when the key does not have the format's form. */
  public static String host(String primaryKey) {
    int colon = thirdColon(primaryKey);
    int start = colon < 0 ? -1 : primaryKey.indexOf('/', colon + 1);
    return start < 0 ? null : primaryKey.substring(colon + 1, start);
  }

  /** True when {@code uri} is exactly the uri at the end of {@code primaryKey}. */
  public static boolean endsWithUri(String primaryKey, String uri) {
    int start = uriStart(primaryKey);
    return start >= 0 && primaryKey.length() - start == uri.length()
        && primaryKey.regionMatches(start, uri, 0, uri.length());
  }

  /**
   * The same key with another method class: the key a GET of the same URI is stored under, from the
   * key of an unsafe method's request (RFC 9111 §4.4 invalidation).
   */
  public static String withMethodClass(String primaryKey, String methodClass) {
    int methodStart = primaryKey.indexOf(':', primaryKey.indexOf(':') + 1) + 1;
    int methodEnd = primaryKey.indexOf(':', methodStart);
    return primaryKey.substring(0, methodStart) + methodClass + primaryKey.substring(methodEnd);
  }

  /** A full key as text for logs and tests: the separator shown as '|'. */
  public static String printable(String fullKey) {
    return fullKey.replace(SEPARATOR, '|');
  }

  private static int thirdColon(String key) {
    int i = -1;
    for (int colons = 0; colons < 3; colons++) {
      i = key.indexOf(':', i + 1);
      if (i < 0) {
        return -1;
      }
    }
    return i;
  }
}
