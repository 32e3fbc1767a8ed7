package dev.kasoku.cacheedge.storage;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Policy;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.kasoku.cacheedge.policy.KeyFormat;
import dev.kasoku.cacheedge.policy.VaryKey;
import dev.kasoku.common.time.Ticker;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
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
 * the indexes and the released memory already reflect it. A tagged object is indexed right after it
 * is stored, and only while the cache still holds it, so an object evicted at admission leaves
 * nothing behind; the listener reads the key's current entry under the tag's lock before unindexing,
 * so a late notification for a replaced object never unindexes its successor.
 *
 * <p><b>Tag purge in O(1): markers, then lazy reclaim.</b> Every stored entry carries a sequence
 * number from a storage-local counter (not the wall clock, so two events in one millisecond are
 * still ordered). Purging a tag takes the next number as the tag's <em>marker</em> (hard or soft)
 * and, in the same atomic step on the tag's index entry, detaches the keys indexed so far and hands
 * them to a reclaim queue; the count it reports is the size of what it detached (objects not yet
 * stale for a soft purge, every object for a hard one), so a second purge of the same tag counts
 * only what was stored since (an object another tag's purge already hid, but that is not reclaimed
 * yet, is still counted: the count is exact once reclaim has caught up). From then on {@link #get}
 * treats an entry carrying the tag and older than the marker as gone (hard: a miss, and the entry is
 * removed there and then) or as stale (soft: returned {@linkplain StoredObject#markedStale() marked
 * stale}, exactly what an eager soft purge stores, so the next request revalidates and may be served
 * stale-while-revalidate meanwhile). An object stored after the purge has a higher number and is
 * served normally. Purges by key, prefix, host or tenant skip entries a marker already hides.
 *
 * <p>{@link #reclaim} does the eager work afterwards in bounded steps (a few thousand keys or a
 * couple of milliseconds each, whichever comes first): it removes the hidden objects (hard) or
 * replaces them by their stale-marked copy (soft) and moves them to the tag's stale keys, so memory,
 * the Vary index and the tag index are freed as before, only later. The purge agent runs these steps
 * on its own context with a pause between them, so no step holds an event loop for long. Once every
 * key detached for a tag has been reclaimed, the tag's markers are dropped (each object they hid is
 * gone or carries its own stale mark), so markers are bounded by the tags purged during the last
 * reclaim and never accumulate. Each lookup of a tagged object pays one map read per tag, and only
 * while some tag has a marker.
 *
 * <p><b>Stores racing a purge.</b> A store that completes before the purge is applied is covered by
 * it (indexed, hence detached, or checked against the marker when it indexes itself). A store that
 * takes its number before the purge and indexes itself after checks the marker there and hides its
 * own object; should the marker already be dropped, the highest dropped marker says so and the object
 * is removed (conservative: at worst one extra origin fetch). Fetches that <em>started</em> before a
 * purge are the purge guard's concern ({@code purge.GuardedStorage}), as before.
 *
 * <p>Purge by host and prefix still scan the cache, and purge of a whole tenant stays a generation
 * bump: a host marker would need a host index over every object, which tags do not.
 *
 * <p><b>Memory.</b> The budget counts body capacity plus an estimate of the head; the cache holds one
 * reference on each body and drops it in the listener, so an evicted body's memory returns to the
 * pool as soon as no reader is streaming it (see {@link Body}). Objects hidden by a marker stay in
 * the budget (and stay evictable) until they are reclaimed.
 */
public final class MemoryStorage implements Storage {
  /** Default bound on stored variants of one URL. */
  public static final int DEFAULT_MAX_VARIANTS = 32;
  private static final String[] NO_TAGS = new String[0];
  /** Attempts to reclaim one key whose entry keeps changing under the reclaimer. */
  private static final int RECLAIM_ATTEMPTS = 4;
  /** What the tag markers make of an entry ({@link #hiddenBy}). */
  private static final int VISIBLE = 0;
  private static final int SOFT = 1;
  private static final int HARD = 2;

  private final PooledByteBufAllocator alloc = new PooledByteBufAllocator(true);
  private final Slabs slabs = new Slabs(alloc);
  private final Cache<String, StoredObject> cache;
  private final Policy<String, StoredObject> policy;
  private final long budget;
  private final Ticker ticker;
  private final long maxObject;
  private final int maxVariants;
  private final Map<String, VaryEntry> varies = new ConcurrentHashMap<>();
  private final Map<String, TagState> tags = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> generations = new ConcurrentHashMap<>();
  private final AtomicLong evictions = new AtomicLong();
  /** Numbers entries and tag markers: a later number means a later event. */
  private final AtomicLong sequence = new AtomicLong();
  /** The highest marker dropped so far (see "Stores racing a purge"). */
  private final AtomicLong droppedMarkers = new AtomicLong();
  /** Tags with a marker: lookups skip the marker check while there are none. */
  private final AtomicInteger markedTags = new AtomicInteger();
  /** Keys detached by tag purges and not yet reclaimed; guarded by {@code this}. */
  private final ArrayDeque<Reclaim> reclaims = new ArrayDeque<>();
  private final AtomicLong pendingReclaim = new AtomicLong();

  /**
   * One tenant's tag: the keys of stored objects carrying it (split by whether they are marked stale,
   * so a soft purge counts and detaches only the others) and its markers. Mutated only inside
   * {@code tags.compute} for its key; markers are read by lookups without that lock.
   */
  private static final class TagState {
    Set<String> fresh = new HashSet<>();
    Set<String> stale;
    volatile long hard;
    volatile long soft;
    /** Reclaim jobs of this tag still queued: its markers stay until none is. */
    int pending;

    void add(String key, boolean forcedStale) {
      if (forcedStale) {
        fresh.remove(key);
        if (stale == null) {
          stale = new HashSet<>();
        }
        stale.add(key);
      } else {
        if (stale != null) {
          stale.remove(key);
        }
        fresh.add(key);
      }
    }

    /** Files the key where its current entry belongs, if it is indexed here at all. */
    void move(String key, boolean forcedStale) {
      if (fresh.contains(key) || stale != null && stale.contains(key)) {
        add(key, forcedStale);
      }
    }

    void remove(String key) {
      fresh.remove(key);
      if (stale != null && stale.remove(key) && stale.isEmpty()) {
        stale = null;
      }
    }

    int keys() {
      return fresh.size() + (stale == null ? 0 : stale.size());
    }

    boolean marked() {
      return hard != 0 || soft != 0;
    }

    boolean unused() {
      return keys() == 0 && !marked() && pending == 0;
    }
  }

  /**
   * Keys detached from a tag by one purge, waiting to be reclaimed. The sets are no longer reachable
   * from the index, so nothing else changes them while they are walked here.
   */
  private static final class Reclaim {
    final String tagKey;
    private final Set<String> fresh;
    private final Set<String> stale;
    private Iterator<String> keys;
    private boolean walkingStale;

    Reclaim(String tagKey, Set<String> fresh, Set<String> stale) {
      this.tagKey = tagKey;
      this.fresh = fresh;
      this.stale = stale;
    }

    /** Whether a key is left; iterators are made on first use, not when the purge is applied. */
    boolean hasNext() {
      if (keys == null) {
        keys = fresh.iterator();
      }
      if (!keys.hasNext() && !walkingStale && stale != null) {
        walkingStale = true;
        keys = stale.iterator();
      }
      return keys.hasNext();
    }

    String next() {
      return keys.next();
    }
  }

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
    this(budgetBytes, maxObjectBytes, maxVariants, Ticker.system());
  }

  /** @param ticker bounds the time a {@link #reclaim} step takes */
  public MemoryStorage(long budgetBytes, long maxObjectBytes, int maxVariants, Ticker ticker) {
    this.ticker = ticker;
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
    this.policy = cache.policy();
  }

  @Override
  public StoredObject get(String fullKey) {
    StoredObject e = cache.getIfPresent(fullKey);
    if (e == null) {
      return null;
    }
    StoredObject o = e;
    if (!generations.isEmpty() && o.generation() < generation(o.tenant())) {
      cache.asMap().remove(fullKey, e);
      return null;
    }
    int hidden = hiddenBy(e);
    if (hidden == HARD) {
      cache.asMap().remove(fullKey, e);
      return null;
    }
    return hidden == SOFT && !o.forcedStale() ? o.markedStale() : o;
  }

  /** Whether a tag marker newer than the entry hides it (hard) or makes it stale (soft). */
  private int hiddenBy(StoredObject e) {
    if (e.tagKeys().length == 0 || markedTags.get() == 0) {
      return VISIBLE;
    }
    int hidden = VISIBLE;
    for (String tk : e.tagKeys()) {
      TagState st = tags.get(tk);
      if (st != null) {
        if (st.hard > e.seq) {
          return HARD;
        }
        if (st.soft > e.seq) {
          hidden = SOFT;
        }
      }
    }
    return hidden;
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
            e.secondaries.forEach(s -> pushedOut.add(KeyFormat.full(pk, s)));
          }
          e = new VaryEntry(object.vary());
        }
        e.secondaries.remove(object.secondaryKey());
        e.secondaries.add(object.secondaryKey());
        while (e.secondaries.size() > maxVariants) {
          String oldest = e.secondaries.iterator().next();
          e.secondaries.remove(oldest);
          pushedOut.add(KeyFormat.full(pk, oldest));
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
    String[] tagKeys = NO_TAGS;
    if (!object.tags().isEmpty()) {
      tagKeys = new String[object.tags().size()];
      for (int i = 0; i < tagKeys.length; i++) {
        tagKeys[i] = tagKey(object.tenant(), object.tags().get(i));
      }
    }
    StoredObject entry = object.storedAs(sequence.incrementAndGet(), tagKeys);
    cache.put(key, entry);
    if (tagKeys.length > 0) {
      index(key, entry);
    }
  }

  /**
   * Files a just stored entry under its tags, if the cache still holds it, and applies any marker
   * newer than the entry that the purge could not apply because the entry was not indexed yet.
   */
  private void index(String key, StoredObject entry) {
    boolean[] hidden = new boolean[2]; // [hard, soft]
    for (String tk : entry.tagKeys()) {
      tags.compute(tk, (t, st) -> {
        if (policy.getIfPresentQuietly(key) != entry) {
          return st;
        }
        if (st == null) {
          st = new TagState();
        }
        st.add(key, entry.forcedStale());
        hidden[0] |= st.hard > entry.seq;
        hidden[1] |= st.soft > entry.seq;
        return st;
      });
    }
    if (hidden[0] || entry.seq < droppedMarkers.get()) {
      cache.asMap().remove(key, entry);
    } else if (hidden[1] && !entry.forcedStale()) {
      markStale(key, entry);
    }
  }

  private void onRemoval(String key, StoredObject old, RemovalCause cause) {
    if (old == null) {
      return;
    }
    if (cause.wasEvicted()) {
      evictions.incrementAndGet();
    }
    StoredObject o = old;
    for (String tk : old.tagKeys()) {
      tags.computeIfPresent(tk, (t, st) -> {
        // under the tag's lock: a successor stored meanwhile is already in the cache, or indexes itself after
        StoredObject now = policy.getIfPresentQuietly(key);
        if (now != null && now.carries(tk)) {
          st.move(key, now.forcedStale());
        } else {
          st.remove(key);
        }
        return st.unused() ? null : st;
      });
    }
    if (!o.secondaryKey().isEmpty() && cause != RemovalCause.REPLACED) {
      varies.computeIfPresent(o.primaryKey(), (pk, e) -> {
        if (e.sameFields(o.vary())) {
          e.secondaries.remove(o.secondaryKey());
        }
        return e.secondaries.isEmpty() ? null : e;
      });
    }
    o.body().release();
  }

  @Override
  public BodyWriter newBody(long declaredLength) {
    return new BodyWriter(alloc, slabs, declaredLength, maxObject);
  }

  @Override
  public long maxObjectBytes() {
    return maxObject;
  }

  @Override
  public int invalidate(Selection selection, boolean soft) {
    if (selection instanceof Selection.Tag t) {
      return mark(tagKey(t.tenant(), t.tag()), soft);
    }
    List<String> keys = new ArrayList<>();
    if (selection instanceof Selection.Key k) {
      keys.add(k.primaryKey());
      // read the variant set under the map's lock: put() mutates it inside compute()
      varies.computeIfPresent(k.primaryKey(), (pk, e) -> {
        e.secondaries.forEach(s -> keys.add(KeyFormat.full(pk, s)));
        return e;
      });
    } else {
      scan(keys, selection::matches); // prefix, host, tenant: no index, a scan
    }
    int n = 0;
    for (String key : keys) {
      StoredObject e = cache.getIfPresent(key);
      if (e == null || !e.tenant().equals(selection.tenant())) {
        continue;
      }
      int hidden = hiddenBy(e);
      if (hidden == HARD) {
        // already gone for lookups: not affected by this purge, removed now that it is in hand
        cache.asMap().remove(key, e);
        continue;
      }
      if (soft) {
        if (!e.forcedStale() && hidden == VISIBLE && markStale(key, e) != null) {
          n++;
        }
      } else if (cache.asMap().remove(key, e)) {
        n++;
      }
    }
    return n;
  }

  /**
   * Sets the tag's marker and detaches its keys for reclaim, atomically with respect to stores
   * indexing themselves under the tag.
   *
   * @return how many stored objects the marker affects
   */
  private synchronized int mark(String tagKey, boolean soft) {
    int[] affected = new int[1];
    tags.compute(tagKey, (t, st) -> {
      long marker = sequence.incrementAndGet();
      if (st == null) {
        // nothing indexed: only a store still indexing itself could carry the tag, and it checks this
        dropped(marker);
        return null;
      }
      if (!st.marked()) {
        markedTags.incrementAndGet();
      }
      if (soft) {
        st.soft = marker;
      } else {
        st.hard = marker;
      }
      Set<String> fresh = st.fresh;
      Set<String> stale = soft ? null : st.stale;
      st.fresh = new HashSet<>();
      if (!soft) {
        st.stale = null;
      }
      affected[0] = fresh.size() + (stale == null ? 0 : stale.size());
      if (affected[0] > 0) {
        st.pending++;
        reclaims.addLast(new Reclaim(t, fresh, stale));
        pendingReclaim.addAndGet(affected[0]);
      } else if (st.pending == 0) {
        dropMarkers(st);
      }
      return st.unused() ? null : st;
    });
    return affected[0];
  }

  @Override
  public synchronized boolean reclaim(int maxKeys, long maxNanos) {
    long deadline = ticker.read() + maxNanos;
    int done = 0;
    while (!reclaims.isEmpty() && done < maxKeys) {
      Reclaim r = reclaims.peekFirst();
      while (done < maxKeys && r.hasNext()) {
        reclaimKey(r.tagKey, r.next());
        done++;
        if ((done & 15) == 0 && ticker.read() - deadline > 0) {
          maxKeys = done;
        }
      }
      // a job whose last key this step reclaimed completes now, so pendingReclaim reaching 0 means
      // its markers are gone too
      if (!r.hasNext()) {
        reclaims.pollFirst();
        tags.computeIfPresent(r.tagKey, (t, st) -> {
          if (--st.pending == 0 && st.marked()) {
            dropMarkers(st);
          }
          return st.unused() ? null : st;
        });
      }
    }
    pendingReclaim.addAndGet(-done);
    return !reclaims.isEmpty();
  }

  @Override
  public long pendingReclaim() {
    return pendingReclaim.get();
  }

  /**
   * Removes (hard) or marks stale (soft) the entry under the key if the tag's markers hide it; an
   * entry that stays (marked stale now, already stale, or stored after the marker) is filed under
   * the tag again, so a later hard purge of the tag finds it.
   */
  private void reclaimKey(String tagKey, String key) {
    TagState st = tags.get(tagKey); // present: this job's pending count keeps it
    for (int attempt = 0; attempt < RECLAIM_ATTEMPTS; attempt++) {
      StoredObject e = policy.getIfPresentQuietly(key);
      if (e == null || !e.carries(tagKey)) {
        return;
      }
      if (st.hard > e.seq) {
        if (cache.asMap().remove(key, e)) {
          return;
        }
        continue;
      }
      if (st.soft > e.seq && !e.forcedStale()) {
        e = markStale(key, e);
        if (e == null) {
          continue;
        }
      }
      StoredObject kept = e;
      tags.computeIfPresent(tagKey, (t, s) -> {
        if (policy.getIfPresentQuietly(key) == kept) {
          s.add(key, kept.forcedStale());
        }
        return s;
      });
      return;
    }
  }

  /**
   * Replaces the entry by its stale-marked copy, same sequence number; null when the entry changed
   * meanwhile or its body is already being freed.
   */
  private StoredObject markStale(String key, StoredObject e) {
    // the replaced entry's listener drops its body reference: the new one needs its own
    if (!e.body().tryRetain()) {
      return null;
    }
    StoredObject marked = e.markedStale().storedAs(e.seq, e.tagKeys());
    if (cache.asMap().replace(key, e, marked)) {
      return marked;
    }
    e.body().release();
    return null;
  }

  /** Every object the tag's markers hid is gone or marked stale itself: the markers can go. */
  private void dropMarkers(TagState st) {
    dropped(Math.max(st.hard, st.soft));
    st.hard = 0;
    st.soft = 0;
    markedTags.decrementAndGet();
  }

  private void dropped(long marker) {
    droppedMarkers.accumulateAndGet(marker, Math::max);
  }

  private void scan(List<String> out, Predicate<StoredObject> match) {
    cache.asMap().forEach((k, e) -> {
      if (match.test(e)) {
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
    long indexedTags = 0;
    for (TagState s : tags.values()) {
      int n = s.keys();
      tagged += n;
      if (n > 0) {
        indexedTags++;
      }
    }
    long weighted = policy.eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L);
    return new StorageStats(cache.estimatedSize(), weighted, budget, tagged, indexedTags, varies.size(),
        evictions.get(), pendingReclaim.get(), markedTags.get());
  }

  /** Direct memory in use by bodies (for tests and metrics). */
  public long usedDirectMemory() {
    return alloc.metric().usedDirectMemory();
  }

  /** The slabs of small bodies (tests). */
  Slabs slabs() {
    return slabs;
  }

  @Override
  public void close() {
    cache.invalidateAll();
    cache.cleanUp();
    slabs.close();
    synchronized (this) {
      reclaims.clear();
      pendingReclaim.set(0);
    }
  }

  private static String tagKey(String tenant, String tag) {
    return tenant + '\u0000' + tag;
  }
}
