package dev.kasoku.cacheedge.storage;

import java.util.List;
import java.util.Objects;

/**
 * One stored response: the key it is stored under, the response head, the freshness facts computed
 * when it was stored (so a hit is a few comparisons, not a header parse), and its {@link Body}.
 * Immutable: a 304 header update or a soft purge stores a new instance sharing the body
 * ({@link #withHead}, {@link #markedStale}).
 *
 * @param primaryKey the cache key without the Vary part (tenant, site, method class, canonical URI)
 * @param secondaryKey the Vary part ("" when the response has no Vary)
 * @param tenant owning tenant (purge and "purge all" generations are per tenant)
 * @param host the request host it was fetched for (purge by host)
 * @param path the canonical path and query (purge by prefix)
 * @param status response status
 * @param headers response header name/value pairs in order, as they will be delivered (hop-by-hop and
 *     origin-only headers already removed)
 * @param varyNames the response's Vary field names, lower case (empty when none)
 * @param requestTimeMs when the request that produced it was sent (epoch ms)
 * @param responseTimeMs when its response was received (epoch ms)
 * @param correctedInitialAgeMs RFC 9111 §4.2.3 corrected_initial_age
 * @param freshnessLifetimeMs how long it is fresh, from our point of view (0: always revalidate)
 * @param staleWhileRevalidateMs RFC 5861 window after expiry served stale while revalidating
 * @param staleIfErrorMs RFC 5861 window after expiry served stale when the origin fails
 * @param mustRevalidate never served stale (must-revalidate, proxy-revalidate, s-maxage)
 * @param tags Surrogate-Key tags (purge by tag)
 * @param generation the tenant's storage generation when stored (older generations are gone)
 * @param forcedStale set by a soft purge: treated as expired from then on
 * @param body the bytes
 */
public record StoredObject(
    String primaryKey,
    String secondaryKey,
    String tenant,
    String host,
    String path,
    int status,
    String[] headers,
    List<String> varyNames,
    long requestTimeMs,
    long responseTimeMs,
    long correctedInitialAgeMs,
    long freshnessLifetimeMs,
    long staleWhileRevalidateMs,
    long staleIfErrorMs,
    boolean mustRevalidate,
    List<String> tags,
    long generation,
    boolean forcedStale,
    Body body) {

  /** Separates the primary from the secondary part of a full key. */
  public static final char KEY_SEPARATOR = '\u0001';
  /** Fixed per-entry overhead charged to the budget besides headers and body (objects, index). */
  static final int ENTRY_OVERHEAD = 256;

  public StoredObject {
    Objects.requireNonNull(primaryKey, "primaryKey");
    Objects.requireNonNull(secondaryKey, "secondaryKey");
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(headers, "headers");
    varyNames = List.copyOf(varyNames);
    tags = List.copyOf(tags);
    Objects.requireNonNull(body, "body");
  }

  /** The key the storage files this object under. */
  public String key() {
    return fullKey(primaryKey, secondaryKey);
  }

  public static String fullKey(String primaryKey, String secondaryKey) {
    return secondaryKey.isEmpty() ? primaryKey : primaryKey + KEY_SEPARATOR + secondaryKey;
  }

  /** RFC 9111 §4.2.3 current_age at {@code nowMs}. */
  public long currentAgeMs(long nowMs) {
    return correctedInitialAgeMs + Math.max(0, nowMs - responseTimeMs);
  }

  /** Fresh at {@code nowMs} (never when soft-purged). */
  public boolean isFresh(long nowMs) {
    return !forcedStale && freshnessLifetimeMs > currentAgeMs(nowMs);
  }

  /** How far past its freshness lifetime it is at {@code nowMs} (0 while fresh). */
  public long stalenessMs(long nowMs) {
    if (forcedStale) {
      return Math.max(1, currentAgeMs(nowMs) - Math.min(freshnessLifetimeMs, currentAgeMs(nowMs)));
    }
    return Math.max(0, currentAgeMs(nowMs) - freshnessLifetimeMs);
  }

  /** The first value of a header (case-insensitive name), or null. */
  public String header(String name) {
    for (int i = 0; i < headers.length; i += 2) {
      if (headers[i].equalsIgnoreCase(name)) {
        return headers[i + 1];
      }
    }
    return null;
  }

  /** Bytes charged to the storage budget. */
  public int weight() {
    long w = ENTRY_OVERHEAD + body.capacity() + 2L * (primaryKey.length() + secondaryKey.length());
    for (String h : headers) {
      w += 2L * h.length() + 16;
    }
    return (int) Math.min(Integer.MAX_VALUE, w);
  }

  /** The same object with a new head and freshness (a 304 update); shares the body. */
  public StoredObject withHead(String[] newHeaders, long newRequestTimeMs, long newResponseTimeMs,
                               long newCorrectedInitialAgeMs, long newFreshnessLifetimeMs,
                               long newSwrMs, long newSieMs, boolean newMustRevalidate, List<String> newTags) {
    return new StoredObject(primaryKey, secondaryKey, tenant, host, path, status, newHeaders, varyNames,
        newRequestTimeMs, newResponseTimeMs, newCorrectedInitialAgeMs, newFreshnessLifetimeMs, newSwrMs,
        newSieMs, newMustRevalidate, newTags, generation, false, body);
  }

  /** The same object marked stale by a soft purge; shares the body. */
  public StoredObject markedStale() {
    return new StoredObject(primaryKey, secondaryKey, tenant, host, path, status, headers, varyNames,
        requestTimeMs, responseTimeMs, correctedInitialAgeMs, freshnessLifetimeMs, staleWhileRevalidateMs,
        staleIfErrorMs, mustRevalidate, tags, generation, true, body);
  }
}
