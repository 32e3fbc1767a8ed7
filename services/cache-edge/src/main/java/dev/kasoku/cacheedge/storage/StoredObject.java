package dev.kasoku.cacheedge.storage;

import dev.kasoku.cacheedge.policy.Freshness;
import dev.kasoku.cacheedge.policy.VaryKey;
import io.vertx.core.MultiMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One stored response: the key it is stored under, the response head, its {@link Freshness}
 * computed once when it arrived (so a hit is a few comparisons, not a header parse), and its
 * {@link Body}. Immutable once stored: {@code headers} is never modified after construction (it is
 * read concurrently by every event loop), and a 304 update or a soft purge stores a new instance
 * sharing the body ({@link #withHead}, {@link #markedStale}).
 *
 * @param primaryKey the cache key without the Vary part (tenant, site, method class, host, URI)
 * @param secondaryKey the Vary part ({@link VaryKey#NONE} when the response has no Vary)
 * @param tenant owning tenant
 * @param host the normalised request host (purge by host)
 * @param path the canonical path and query (purge by prefix)
 * @param status response status
 * @param headers the stored response fields (policy {@code Headers.storedHeaders}); never mutated
 * @param vary the response's Vary ({@code VaryKey.of}); empty when none
 * @param freshness lifetime, age and stale windows
 * @param tags Surrogate-Key tags (purge by tag)
 * @param generation the tenant's storage generation when stored
 * @param forcedStale set by a soft purge: treated as stale (served while revalidating)
 * @param body the bytes
 */
public record StoredObject(
    String primaryKey,
    String secondaryKey,
    String tenant,
    String host,
    String path,
    int status,
    MultiMap headers,
    VaryKey vary,
    Freshness freshness,
    List<String> tags,
    long generation,
    boolean forcedStale,
    Body body) {

  /** Separates the primary from the secondary part of a full key. */
  public static final char KEY_SEPARATOR = '\u0001';
  /** Fixed per-entry overhead charged to the budget besides headers and body (objects, index). */
  static final int ENTRY_OVERHEAD = 320;

  public StoredObject {
    Objects.requireNonNull(primaryKey, "primaryKey");
    Objects.requireNonNull(secondaryKey, "secondaryKey");
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(headers, "headers");
    Objects.requireNonNull(vary, "vary");
    Objects.requireNonNull(freshness, "freshness");
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

  /** Bytes charged to the storage budget. */
  public int weight() {
    long w = ENTRY_OVERHEAD + body.capacity() + 2L * (primaryKey.length() + secondaryKey.length());
    for (Map.Entry<String, String> e : headers) {
      w += 2L * (e.getKey().length() + e.getValue().length()) + 48;
    }
    for (String t : tags) {
      w += 2L * t.length() + 64;
    }
    return (int) Math.min(Integer.MAX_VALUE, w);
  }

  /** The same object with a new head and freshness (a 304 update); shares the body. */
  public StoredObject withHead(MultiMap newHeaders, Freshness newFreshness, List<String> newTags) {
    return new StoredObject(primaryKey, secondaryKey, tenant, host, path, status, newHeaders, vary,
        newFreshness, newTags, generation, false, body);
  }

  /** The same object marked stale by a soft purge; shares the body. */
  public StoredObject markedStale() {
    return new StoredObject(primaryKey, secondaryKey, tenant, host, path, status, headers, vary,
        freshness, tags, generation, true, body);
  }
}
