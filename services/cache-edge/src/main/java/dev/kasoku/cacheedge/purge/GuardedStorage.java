package dev.kasoku.cacheedge.purge;

import dev.kasoku.cacheedge.policy.VaryKey;
import dev.kasoku.cacheedge.storage.BodyWriter;
import dev.kasoku.cacheedge.storage.Selection;
import dev.kasoku.cacheedge.storage.Storage;
import dev.kasoku.cacheedge.storage.StoredObject;

/**
 * A {@link Storage} that enforces the {@link PurgeGuard}: an object whose origin request was sent
 * before a matching purge was applied is never stored as fresh (dropped after a hard purge, marked
 * stale after a soft one). Everything else is passed to the wrapped storage unchanged.
 *
 * <p>Race with a purge applied while the object is being stored: the agent records the purge in the
 * guard before it invalidates the storage, and this class checks the guard both before and after the
 * store. Either the check after the store sees the purge (and invalidates the URL's variants the way
 * the purge would have), or it ran before
 * the purge was recorded, in which case the store happened before the invalidation, which then
 * removes the object. No interleaving leaves a purged object fresh.
 */
public final class GuardedStorage implements Storage {
  private final Storage delegate;
  private final PurgeGuard guard;

  public GuardedStorage(Storage delegate, PurgeGuard guard) {
    this.delegate = delegate;
    this.guard = guard;
  }

  @Override
  public StoredObject get(String fullKey) {
    return delegate.get(fullKey);
  }

  @Override
  public VaryKey varyOf(String primaryKey) {
    return delegate.varyOf(primaryKey);
  }

  @Override
  public void put(StoredObject object) {
    switch (guard.check(object)) {
      case DROP -> {
        // as if stored and evicted at once: the storage owned the caller's body reference
        object.body().release();
        return;
      }
      case STALE -> {
        delegate.put(object.forcedStale() ? object : object.markedStale());
        return;
      }
      case KEEP -> delegate.put(object);
      default -> throw new IllegalStateException();
    }
    switch (guard.check(object)) {
      case DROP -> delegate.invalidate(new Selection.Key(object.tenant(), object.primaryKey()), false);
      case STALE -> delegate.invalidate(new Selection.Key(object.tenant(), object.primaryKey()), true);
      default -> { }
    }
  }


  @Override
  public BodyWriter newBody(long declaredLength) {
    return delegate.newBody(declaredLength);
  }

  @Override
  public long maxObjectBytes() {
    return delegate.maxObjectBytes();
  }

  @Override
  public int invalidate(Selection selection, boolean soft) {
    return delegate.invalidate(selection, soft);
  }

  @Override
  public boolean reclaim(int maxKeys, long maxNanos) {
    return delegate.reclaim(maxKeys, maxNanos);
  }

  @Override
  public long pendingReclaim() {
    return delegate.pendingReclaim();
  }

  @Override
  public long generation(String tenant) {
    return delegate.generation(tenant);
  }

  @Override
  public long bumpGeneration(String tenant) {
    return delegate.bumpGeneration(tenant);
  }

  @Override
  public long removeAll() {
    return delegate.removeAll();
  }

  @Override
  public StorageStats stats() {
    return delegate.stats();
  }

  @Override
  public void close() {
    delegate.close();
  }

  /** The wrapped storage. */
  public Storage delegate() {
    return delegate;
  }
}
