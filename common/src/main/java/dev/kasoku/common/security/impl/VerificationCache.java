package dev.kasoku.common.security.impl;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * A small expiring cache of store look-ups made while verifying requests (keys, users, revocation
 * markers, allow-lists). Entries live {@code ttl} at most; invalidation (from a bus notice) removes
 * them at once.
 *
 * <p>A look-up that was already in flight when an invalidation arrived must not put its (possibly
 * stale) result back: every invalidation bumps a generation number, and a loaded value is stored
 * only if the generation did not move while it loaded. Concurrent misses of one key may load twice;
 * that costs a store read, never correctness.
 */
public final class VerificationCache<K, V> {
  private final Cache<K, V> cache;
  private long generation;

  public VerificationCache(Duration ttl, long maximumSize) {
    this.cache = Caffeine.newBuilder().expireAfterWrite(ttl).maximumSize(maximumSize).build();
  }

  /** The cached value, or the loader's (cached unless invalidated meanwhile). */
  public Future<V> get(K key, Supplier<Future<V>> loader) {
    V cached = cache.getIfPresent(key);
    if (cached != null) {
      return Future.succeededFuture(cached);
    }
    long started = currentGeneration();
    return loader.get().onSuccess(value -> putIfCurrent(key, value, started));
  }

  public synchronized void invalidate(K key) {
    generation++;
    cache.invalidate(key);
  }

  public synchronized void invalidateIf(Predicate<K> predicate) {
    generation++;
    cache.asMap().keySet().removeIf(predicate);
  }

  public synchronized void invalidateAll() {
    generation++;
    cache.invalidateAll();
  }

  private synchronized long currentGeneration() {
    return generation;
  }

  private synchronized void putIfCurrent(K key, V value, long started) {
    if (value != null && generation == started) {
      cache.put(key, value);
    }
  }
}
