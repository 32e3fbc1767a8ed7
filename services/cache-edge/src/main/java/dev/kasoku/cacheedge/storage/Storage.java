package dev.kasoku.cacheedge.storage;

import dev.kasoku.cacheedge.policy.VaryKey;

/**
 * Where the edge keeps responses: a table of operations in the spirit of Varnish's
 * {@code storage.h}. The core ({@link #get}, {@link #varyOf}, {@link #put}, {@link #newBody}) is
 * what the request path needs; the extras ({@link #invalidate}, generations, {@link #stats}) are what
 * purge and tenant erasure need. Implementations sit side by side ({@link MemoryStorage} now, a disk
 * tier later).
 *
 * <p>One instance is shared by every edge verticle of the process, so every operation is
 * thread-safe and returns quickly without blocking: the memory storage answers synchronously; a
 * slower tier keeps its index in memory and is expected to answer these from it, streaming bodies
 * through {@link Body} chunks it loads ahead.
 *
 * <p>Objects are never shared between tenants: every key starts with the tenant (the cache key
 * built by the policy does this) and every {@link Selection} names one tenant.
 */
public interface Storage {

  /**
   * The object stored under the full key (see {@link dev.kasoku.cacheedge.policy.KeyFormat#full}), or null. The body is not
   * retained: a reader calls {@link Body#tryRetain()} and treats failure as a miss. Objects of an
   * older tenant generation are not returned.
   */
  StoredObject get(String fullKey);

  /**
   * The Vary recorded for a primary key, or null when no varying response is stored for it. The
   * lookup step computes the request's secondary key with it.
   */
  VaryKey varyOf(String primaryKey);

  /**
   * Stores the object, replacing what was under its key (the storage takes over the caller's body
   * reference). Variants beyond the per-URL bound push out the oldest variant of that URL.
   */
  void put(StoredObject object);

  /**
   * A writer that copies a body into this storage's memory while it streams past.
   *
   * @param declaredLength the Content-Length, or -1
   */
  BodyWriter newBody(long declaredLength);

  /** The largest body this storage accepts. */
  long maxObjectBytes();

  /**
   * Removes (or, when {@code soft}, marks stale so the next request revalidates) the selected
   * objects. From the moment it returns, lookups no longer return a removed object, and return a
   * soft-purged one {@linkplain StoredObject#forcedStale() marked stale}; an implementation may leave
   * reclaiming their memory to {@link #reclaim}.
   *
   * @return how many stored objects were affected
   */
  int invalidate(Selection selection, boolean soft);

  /**
   * Does some of the work a purge left for later (for a tag purge: removing, or marking stale, the
   * objects its marker already hides) and returns promptly: after at most {@code maxKeys} objects or
   * about {@code maxNanos}, whichever comes first. The purge agent calls it repeatedly on its own
   * context until it returns false; lookups never depend on it having run.
   *
   * @return whether work remains
   */
  default boolean reclaim(int maxKeys, long maxNanos) {
    return false;
  }

  /** Objects a purge already hides but whose memory is not reclaimed yet. */
  default long pendingReclaim() {
    return 0;
  }

  /** The tenant's current generation; objects stored under an older one are gone. */
  long generation(String tenant);

  /**
   * Starts a new generation for the tenant: everything stored before is gone at once, whatever its
   * number ("purge all" in O(1); the memory is reclaimed lazily).
   */
  long bumpGeneration(String tenant);

  /**
   * Removes every object of every tenant: what an edge does when it can no longer tell which purges
   * it missed (it fell behind the purge log's retention).
   *
   * @return how many objects were removed
   */
  long removeAll();

  StorageStats stats();

  /** Frees all memory; the storage cannot be used afterwards. */
  void close();

  /**
   * Sizes for metrics and tests.
   *
   * @param taggedKeys keys in the tag index (not counting keys detached by a purge for reclaim)
   * @param tags tags with at least one indexed key
   * @param pendingReclaim objects hidden by a purge and not yet reclaimed ({@link #pendingReclaim()})
   * @param tagMarkers tags whose purge marker is still needed
   */
  record StorageStats(long entries, long weightedBytes, long budgetBytes, long taggedKeys, long tags,
                      long varyingUrls, long evictions, long pendingReclaim, long tagMarkers) {}
}
