package dev.kasoku.cacheedge.storage;

import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * The bytes of a stored response: a few chunks of direct (off-heap) memory taken from the storage's
 * pooled allocator, so a full cache of small objects costs the garbage collector one small header
 * object per body, not the body itself.
 *
 * <p><b>Lifetime.</b> A body is reference counted. The storage holds one reference while an entry
 * points at it (an entry replaced by a 304 header update hands its body to the new entry with an
 * extra reference). A reader that streams it must {@link #tryRetain()} first and {@link #release()}
 * when the last write that touches it has completed; {@code tryRetain} fails once the count reached
 * zero, so a reader racing an eviction either keeps the memory alive or sees a miss, never freed
 * memory. The chunks themselves are written to Netty as unreleasable slices (Vert.x wraps non-heap
 * buffers that way), so the channel never frees what the storage owns.
 *
 * <p><b>Heap per body.</b> A full cache holds about a million bodies, most of them one chunk, so
 * this object keeps a single chunk as the {@code ByteBuf} itself (no one-element array) and its
 * count as a volatile {@code int} updated through a field updater (no {@code AtomicInteger}): 40
 * fewer heap bytes and two fewer heap objects per body.
 */
public final class Body {
  /** A body of zero bytes: never freed, always retainable. */
  public static final Body EMPTY = new Body(new ByteBuf[0], 0, 0, 1 << 30);

  private static final ByteBuf[] NO_CHUNKS = new ByteBuf[0];
  private static final AtomicIntegerFieldUpdater<Body> REFS =
      AtomicIntegerFieldUpdater.newUpdater(Body.class, "refs");

  /** The one chunk, or null when {@link #chunks} holds them (zero, two or more). */
  private final ByteBuf single;
  /** The chunks when there is not exactly one; {@link #NO_CHUNKS} when {@link #single} is set. */
  private final ByteBuf[] chunks;
  private final long length;
  private final long capacity;
  private volatile int refs;

  Body(ByteBuf[] chunks, long length, long capacity) {
    this(chunks, length, capacity, 1);
  }

  /** {@code initialRefs} so large that it never reaches zero: the shared empty body. */
  private Body(ByteBuf[] chunks, long length, long capacity, int initialRefs) {
    this.single = chunks.length == 1 ? chunks[0] : null;
    this.chunks = chunks.length == 1 ? NO_CHUNKS : chunks;
    this.length = length;
    this.capacity = capacity;
    this.refs = initialRefs;
  }

  /** Bytes of content. */
  public long length() {
    return length;
  }

  /** Bytes of memory held (what the storage's budget is charged). */
  public long capacity() {
    return capacity;
  }

  /** Takes a reference for a reader; false when the body was already freed (treat as a miss). */
  public boolean tryRetain() {
    for (;;) {
      int n = refs;
      if (n <= 0) {
        return false;
      }
      if (REFS.compareAndSet(this, n, n + 1)) {
        return true;
      }
    }
  }

  /** Drops one reference; the memory goes back to the pool with the last one. */
  public void release() {
    if (REFS.decrementAndGet(this) == 0) {
      if (single != null) {
        single.release();
      }
      for (ByteBuf chunk : chunks) {
        chunk.release();
      }
    }
  }

  /** True once the memory has been returned (for tests and metrics). */
  public boolean isFreed() {
    return refs <= 0;
  }

  public int chunkCount() {
    return single != null ? 1 : chunks.length;
  }

  private ByteBuf chunkAt(int i) {
    if (single != null) {
      java.util.Objects.checkIndex(i, 1);
      return single;
    }
    return chunks[i];
  }

  /**
   * Chunk {@code i} as a Vert.x buffer sharing the stored memory (no copy). The caller must hold a
   * reference until the write of this buffer has completed.
   */
  public Buffer chunk(int i) {
    return BufferInternal.buffer(chunkAt(i).duplicate());
  }

  /**
   * The bytes {@code [from, to)} as buffers sharing the stored memory (for Range responses); same
   * reference rule as {@link #chunk}.
   */
  public Buffer[] slice(long from, long to) {
    java.util.List<Buffer> out = new java.util.ArrayList<>(2);
    long base = 0;
    for (int i = 0, n = chunkCount(); i < n; i++) {
      ByteBuf c = chunkAt(i);
      long end = base + c.readableBytes();
      if (end > from && base < to) {
        int s = (int) (Math.max(from, base) - base);
        int e = (int) (Math.min(to, end) - base);
        out.add(BufferInternal.buffer(c.slice(c.readerIndex() + s, e - s)));
      }
      base = end;
      if (base >= to) {
        break;
      }
    }
    return out.toArray(new Buffer[0]);
  }

  /** Copies the whole body to the heap (tests and small diagnostics only). */
  public byte[] toBytes() {
    byte[] out = new byte[(int) length];
    int pos = 0;
    for (int i = 0, count = chunkCount(); i < count; i++) {
      ByteBuf c = chunkAt(i);
      int n = c.readableBytes();
      c.getBytes(c.readerIndex(), out, pos, n);
      pos += n;
    }
    return out;
  }
}
