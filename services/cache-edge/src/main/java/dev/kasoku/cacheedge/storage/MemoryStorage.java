package dev.kasoku.cacheedge.storage;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.kasoku.cacheedge.policy.VaryKey;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * The in-memory storage: a Caffeine cache bounded by a byte budget and weighed by object size, so
 * eviction is W-TinyLFU over bytes (a large object must earn its room), with the bodies in direct
 * memory from a pooled allocator owned by this storage.
 *
 * <p><b>Indexes that never outgrow the cache.</b> Two side indexes exist and both are maintained
 * from the cache's removal listener, which Caffeine calls for every way an entry leaves (eviction,
 * explicit removal, replacement): the Vary index (primary key → field names and the variants stored,
 * bounded per URL, oldest pushed out first) and the tag index (tenant + Surrogate-Key tag → keys),
 * which holds entries only for objects that carry tags. The listener runs on the thread that caused
 * the removal ({@code executor(Runnable::run)}), so when {@code put} or {@code invalidate} returns,
 * the indexes and the released memory already reflect it.
 *
 * <p><b>Memory.</b> The budget counts body capacity plus an estimate of the head; the cache holds one
 * reference on each body and drops it in the listener, so an evicted body's memory returns to the
 * pool as soon as no reader is streaming it (see {@link Body}).
 */
public final class MemoryStorage implements Storage {
  /** Default bound on stored variants of one URL. */
  public static final int DEFAULT_MAX_VARIANTS = 32;

  private final PooledByteBufAllocator alloc = new PooledByteBufAllocator(true);
  private final Cache<String, StoredObject> cache;
  private final long budget;
  private final long maxObject;
  private final int maxVariants;
  private final Map<String, VaryEntry> varies = new ConcurrentHashMap<>();
  private final Map<String, Set<String>> tagIndex = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> generations = new ConcurrentHashMap<>();
  private final AtomicLong evictions = new AtomicLong();

  /** Variants stored for one URL, oldest first, and the Vary names they were keyed on. */
  private static final class VaryEntry {
    final VaryKey vary;
    final LinkedHashSet<String> secondaries = new LinkedHashSet<>();

    VaryEntry(VaryKey vary) {
      this.vary = vary;
    }

    boolean sameFields(VaryKey other) {
      return vary.fields().equals(other.fields());
    }
  }

  public MemoryStorage(long budgetBytes, long maxObjectBytes, int maxVariants) {
    if (budgetBytes <= 0 || maxObjectBytes <= 0 || maxVariants <= 0) {
      throw new IllegalArgumentException("budget, max object size and max variants must be positive");
    }
    this.budget = budgetBytes;
    this.maxObject = Math.min(maxObjectBytes, Integer.MAX_VALUE - 1L << 10);
    this.maxVariants = maxVariants;
    this.cache = Caffeine.newBuilder()
        .maximumWeight(budgetBytes)
        .weigher((String k, StoredObject v) -> v.weight())
        .executor(Runnable::run)
        .removalListener(this::onRemoval)
        .build();
  }

  @Override
  public StoredObject get(String fullKey) {
    StoredObject o = cache.getIfPresent(fullKey);
    if (o != null && !generations.isEmpty() && o.generation() < generation(o.tenant())) {
      cache.asMap().remove(fullKey, o);
      return null;
    }
    return o;
  }

  @Override
  public VaryKey varyOf(String primaryKey) {
    VaryEntry e = varies.get(primaryKey);
    return e == null ? null : e.vary;
  }

  @Override
  public void put(StoredObject object) {
    String key = object.key();
    if (!object.secondaryKey().isEmpty()) {
      List<String> pushedOut = new ArrayList<>(1);
      varies.compute(object.primaryKey(), (pk, e) -> {
        if (e == null || !e.sameFields(object.vary())) {
          if (e != null) {
            e.secondaries.forEach(s -> pushedOut.add(StoredObject.fullKey(pk, s)));
          }
          e = new VaryEntry(object.vary());
        }
        e.secondaries.remove(object.secondaryKey());
        e.secondaries.add(object.secondaryKey());
        while (e.secondaries.size() > maxVariants) {
          String oldest = e.secondaries.iterator().next();
          e.secondaries.remove(oldest);
          pushedOut.add(StoredObject.fullKey(pk, oldest));
        }
        return e;
      });
      pushedOut.forEach(cache::invalidate);
      // a URL that now varies no longer has a valid plain entry
      cache.invalidate(object.primaryKey());
    } else if (varies.containsKey(object.primaryKey())) {
      // the URL stopped varying: drop its variants
      invalidate(new Selection.Key(object.tenant(), object.primaryKey()), false);
    }
    // index first: the put may evict the new entry at once (admission), and the listener must then
    // find its tags to unindex them
    for (String tag : object.tags()) {
      tagIndex.computeIfAbsent(tagKey(object.tenant(), tag), t -> ConcurrentHashMap.newKeySet()).add(key);
    }
    cache.put(key, object);
  }

  private void onRemoval(String key, StoredObject old, RemovalCause cause) {
    if (old == null) {
      return;
    }
    if (cause.wasEvicted()) {
      evictions.incrementAndGet();
    }
    for (String tag : old.tags()) {
      String tk = tagKey(old.tenant(), tag);
      tagIndex.computeIfPresent(tk, (t, keys) -> {
        StoredObject now = cause == RemovalCause.REPLACED ? cache.asMap().get(key) : null;
        if (now == null || !now.tags().contains(tag)) {
          keys.remove(key);
        }
        return keys.isEmpty() ? null : keys;
      });
    }
    if (!old.secondaryKey().isEmpty() && cause != RemovalCause.REPLACED) {
      varies.computeIfPresent(old.primaryKey(), (pk, e) -> {
        if (e.sameFields(old.vary())) {
          e.secondaries.remove(old.secondaryKey());
        }
        return e.secondaries.isEmpty() ? null : e;
      });
    }
    old.body().release();
  }

  @Override
  public BodyWriter newBody(long declaredLength) {
    return new BodyWriter(alloc, declaredLength, maxObject);
  }

  @Override
  public long maxObjectBytes() {
    return maxObject;
  }

  @Override
  public int invalidate(Selection selection, boolean soft) {
    List<String> keys = new ArrayList<>();
    if (selection instanceof Selection.Key k) {
      keys.add(k.primaryKey());
      // read the variant set under the map's lock: put() mutates it inside compute()
      varies.computeIfPresent(k.primaryKey(), (pk, e) -> {
        e.secondaries.forEach(s -> keys.add(StoredObject.fullKey(pk, s)));
        return e;
      });
    } else if (selection instanceof Selection.Tag t) {
      Set<String> tagged = tagIndex.get(tagKey(t.tenant(), t.tag()));
      if (tagged != null) {
        keys.addAll(tagged);
      }
    } else if (selection instanceof Selection.Prefix p) {
      scan(keys, o -> p.host().equals(o.host()) && o.path() != null && o.path().startsWith(p.pathPrefix()));
    } else if (selection instanceof Selection.Host h) {
      scan(keys, o -> h.host().equals(o.host()));
    } else {
      scan(keys, o -> true);
    }
    int n = 0;
    for (String key : keys) {
      StoredObject o = cache.getIfPresent(key);
      if (o == null || !o.tenant().equals(selection.tenant())) {
        continue;
      }
      if (selection instanceof Selection.Tag t && !o.tags().contains(t.tag())) {
        continue;
      }
      if (soft) {
        if (!o.forcedStale() && o.body().tryRetain()) {
          // the replaced entry's listener drops its body reference: the new one needs its own
          if (cache.asMap().replace(key, o, o.markedStale())) {
            n++;
          } else {
            o.body().release();
          }
        }
      } else if (cache.asMap().remove(key, o)) {
        n++;
      }
    }
    return n;
  }

  private void scan(List<String> out, Predicate<StoredObject> match) {
    cache.asMap().forEach((k, o) -> {
      if (match.test(o)) {
        out.add(k);
      }
    });
  }

  @Override
  public long generation(String tenant) {
    AtomicLong g = generations.get(tenant);
    return g == null ? 0 : g.get();
  }

  @Override
  public long bumpGeneration(String tenant) {
    return generations.computeIfAbsent(tenant, t -> new AtomicLong()).incrementAndGet();
  }

  @Override
  public long removeAll() {
    long before = cache.estimatedSize();
    cache.invalidateAll(); // the removal listener keeps the indexes and releases the bodies
    return before;
  }

  @Override
  public StorageStats stats() {
    cache.cleanUp();
    long tagged = 0;
    for (Set<String> s : tagIndex.values()) {
      tagged += s.size();
    }
    long weighted = cache.policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L);
    return new StorageStats(cache.estimatedSize(), weighted, budget, tagged, tagIndex.size(), varies.size(),
        evictions.get());
  }

  /** Direct memory in use by bodies (for tests and metrics). */
  public long usedDirectMemory() {
    return alloc.metric().usedDirectMemory();
  }

  @Override
  public void close() {
    cache.invalidateAll();
    cache.cleanUp();
  }

  private static String tagKey(String tenant, String tag) {
    return tenant + '\u0000' + tag;
  }
}
