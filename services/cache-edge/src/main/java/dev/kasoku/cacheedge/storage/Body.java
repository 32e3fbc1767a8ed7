package dev.kasoku.cacheedge.storage;

import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * The bytes of a stored response, in direct (off-heap) memory owned by the storage, so a full cache
 * of small objects costs the garbage collector one small header object per body, not the body
 * itself. A small body (up to {@link Slabs#MAX_SLOT}) is a slot of a shared slab; a larger one is
 * one or a few chunks taken from the storage's pooled allocator.
 *
 * <p><b>Lifetime.</b> A body is reference counted. The storage holds one reference while an entry
 * points at it (an entry replaced by a 304 header update hands its body to the new entry with an
 * extra reference). A reader that streams it must {@link #tryRetain()} first and {@link #release()}
 * when the last write that touches it has completed; {@code tryRetain} fails once the count reached
 * zero, so a reader racing an eviction either keeps the memory alive or sees a miss, never freed
 * memory. Only the last release gives the memory back (the slot to its slab, or the chunks to the
 * pool). The bytes are written to Netty as unreleasable views (Vert.x wraps non-heap buffers that
 * way), so the channel never frees what the storage owns.
 *
 * <p><b>Heap per body.</b> A full cache holds about a million bodies, most of them small, so this
 * object is 24 bytes: where the bytes are ({@link #mem}: the slab, the one chunk, or the chunk
 * array), a slab body's slot and length packed in one {@code int}, and the count as a volatile
 * {@code int} updated through a field updater (no {@code AtomicInteger}). A slab body has no Netty
 * buffer object of its own (about 120 B of heap with the pool's bookkeeping); capacity and a chunk
 * body's length are derived from the memory, not stored.
 */
public final class Body {
  /** A body of zero bytes: never freed, always retainable. */
  public static final Body EMPTY = new Body(new ByteBuf[0], 1 << 30);

  private static final AtomicIntegerFieldUpdater<Body> REFS =
      AtomicIntegerFieldUpdater.newUpdater(Body.class, "refs");

  /** A {@link Slabs.Slab}, the one chunk as a {@code ByteBuf}, or a {@code ByteBuf[]} (zero, two or more). */
  private final Object mem;
  /**
   * A slab body's slot index and length, {@code slot << 15 | length} (slots and lengths of at most
   * 2^15 fit, see {@link Slabs}); 0 for a body of chunks, whose length is their readable bytes.
   */
  private final int where;
  private volatile int refs;

  /** A body of pooled chunks. */
  Body(ByteBuf[] chunks) {
    this(chunks, 1);
  }

  /** A body of {@code length} bytes in slot {@code slot} of {@code slab}. */
  Body(Slabs.Slab slab, int slot, int length) {
    this.mem = slab;
    this.where = slot << 15 | length;
    this.refs = 1;
  }

  /** {@code initialRefs} so large that it never reaches zero: the shared empty body. */
  private Body(ByteBuf[] chunks, int initialRefs) {
    this.mem = chunks.length == 1 ? chunks[0] : chunks;
    this.where = 0;
    this.refs = initialRefs;
  }

  /** Bytes of content. */
  public long length() {
    Object m = mem;
    if (m instanceof Slabs.Slab) {
      return where & 0x7FFF;
    }
    if (m instanceof ByteBuf b) {
      return b.readableBytes();
    }
    long n = 0;
    for (ByteBuf b : (ByteBuf[]) m) {
      n += b.readableBytes();
    }
    return n;
  }

  /** Bytes of memory held (what the storage's budget is charged): the slot, or the chunks' capacity. */
  public long capacity() {
    Object m = mem;
    if (m instanceof Slabs.Slab s) {
      return s.sizeClass.slotSize;
    }
    if (m instanceof ByteBuf b) {
      return b.capacity();
    }
    long c = 0;
    for (ByteBuf b : (ByteBuf[]) m) {
      c += b.capacity();
    }
    return c;
  }

  /** The slab holding this body, or null (for {@link Slabs}). */
  Slabs.Slab slab() {
    return mem instanceof Slabs.Slab s ? s : null;
  }

  /** Where a slab body's bytes start in its slab. */
  int offset() {
    return slot() * ((Slabs.Slab) mem).sizeClass.slotSize;
  }

  /** A slab body's slot index. */
  int slot() {
    return where >>> 15;
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

  /** Drops one reference; the memory goes back with the last one. */
  public void release() {
    int n = REFS.decrementAndGet(this);
    if (n == 0) {
      Object m = mem;
      if (m instanceof Slabs.Slab s) {
        s.free(slot());
      } else if (m instanceof ByteBuf b) {
        b.release();
      } else {
        for (ByteBuf chunk : (ByteBuf[]) m) {
          chunk.release();
        }
      }
    } else if (n < 0) {
      throw new IllegalStateException("body released more often than retained");
    }
  }

  /** True once the memory has been returned (for tests and metrics). */
  public boolean isFreed() {
    return refs <= 0;
  }

  public int chunkCount() {
    Object m = mem;
    return m instanceof ByteBuf[] chunks ? chunks.length : 1;
  }

  /** Chunk {@code i} as a view of its readable bytes (a new object sharing the memory). */
  private ByteBuf view(int i) {
    Object m = mem;
    if (m instanceof Slabs.Slab s) {
      java.util.Objects.checkIndex(i, 1);
      return s.buf.slice(offset(), where & 0x7FFF);
    }
    if (m instanceof ByteBuf b) {
      java.util.Objects.checkIndex(i, 1);
      return b.duplicate();
    }
    return ((ByteBuf[]) m)[i].duplicate();
  }

  /**
   * Chunk {@code i} as a Vert.x buffer sharing the stored memory (no copy). The caller must hold a
   * reference until the write of this buffer has completed.
   */
  public Buffer chunk(int i) {
    return BufferInternal.buffer(view(i));
  }

  /**
   * The bytes {@code [from, to)} as buffers sharing the stored memory (for Range responses); same
   * reference rule as {@link #chunk}.
   */
  public Buffer[] slice(long from, long to) {
    java.util.List<Buffer> out = new java.util.ArrayList<>(2);
    long base = 0;
    for (int i = 0, n = chunkCount(); i < n && base < to; i++) {
      ByteBuf c = view(i);
      long end = base + c.readableBytes();
      if (end > from && base < to) {
        int s = (int) (Math.max(from, base) - base);
        int e = (int) (Math.min(to, end) - base);
        out.add(BufferInternal.buffer(c.slice(c.readerIndex() + s, e - s)));
      }
      base = end;
    }
    return out.toArray(new Buffer[0]);
  }

  /** Copies the whole body to the heap (tests and small diagnostics only). */
  public byte[] toBytes() {
    byte[] out = new byte[(int) length()];
    int pos = 0;
    for (int i = 0, count = chunkCount(); i < count; i++) {
      ByteBuf c = view(i);
      int n = c.readableBytes();
      c.getBytes(c.readerIndex(), out, pos, n);
      pos += n;
    }
    return out;
  }
}
