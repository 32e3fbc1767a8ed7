package dev.kasoku.cacheedge.storage;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Small bodies as slots of larger direct-memory slabs, so a small cached object costs no Netty
 * buffer object of its own.
 *
 * <p><b>Why.</b> A body taken from Netty's pooled allocator carries a {@code PooledByteBuf} (with
 * its reference count and recycler handle) and its share of the pool's bookkeeping: about 120 B of
 * heap per body, the largest fixed cost of a cached object of a few KiB. Here the pool hands out one
 * buffer per slab of {@link #SLAB_BYTES}, and a body is the slab plus a slot index: the slab's heap
 * (its buffer, the object below and its bitmap) is shared by every slot.
 *
 * <p><b>Size classes.</b> A body of {@code n ≤} {@link #MAX_SLOT} bytes takes a slot of the
 * smallest class that fits it: multiples of 16 up to 128, then eight classes per doubling, so a slot
 * is at most 12.5 % larger than its body (the slot size is what the storage's budget is charged).
 * Each class has its own slabs; a slab holds up to {@link #MAX_SLOTS_PER_SLAB} slots.
 *
 * <p><b>Lifetime.</b> A slot is freed only when its {@link Body}'s last reference is released
 * (storage and readers alike, see {@link Body}), so a body being streamed keeps its bytes; its
 * slot may be reused afterwards, exactly as pooled memory is. A slab that becomes empty is given
 * back to the pool unless it is its class's only slab with room (kept, so one object churning at a
 * class boundary does not allocate and free a slab each time). Fragmentation is that of any
 * size-class pool: free slots in slabs that still hold live bodies are not charged to the budget;
 * new bodies fill those slots first, before a new slab is taken.
 *
 * <p><b>Threads.</b> Slots are taken on the fill's event loop and freed on whatever thread drops
 * the last reference; each class is guarded by its own lock (taken once per fill and once per freed
 * body, never on a hit).
 */
final class Slabs {
  static {
    // Body packs a slot index and a length in one int (15 bits for the length)
    if (Slabs.MAX_SLOT >= 1 << 15 || Slabs.MAX_SLOTS_PER_SLAB > 1 << 16) {
      throw new AssertionError("slot or length too large for Body");
    }
  }

  /** Largest body kept in a slab; larger ones get pooled buffers of their own. */
  static final int MAX_SLOT = 16 * 1024;
  /** Direct memory of a slab (fewer slots for the largest classes, see {@link #MAX_SLOTS_PER_SLAB}). */
  static final int SLAB_BYTES = 64 * 1024;
  static final int MAX_SLOTS_PER_SLAB = 1024;

  private final ByteBufAllocator alloc;
  private final SizeClass[] classes;

  Slabs(ByteBufAllocator alloc) {
    this.alloc = alloc;
    this.classes = new SizeClass[classIndex(MAX_SLOT) + 1];
    for (int i = 0; i < classes.length; i++) {
      classes[i] = new SizeClass(classSize(i));
    }
  }

  /** The slot size used for a body of {@code n} bytes (1 ≤ n ≤ {@link #MAX_SLOT}). */
  static int slotSize(int n) {
    return classSize(classIndex(n));
  }

  private static int classIndex(int n) {
    if (n <= 128) {
      return (n - 1) >>> 4; // 16, 32, ..., 128: classes 0..7
    }
    int log = 31 - Integer.numberOfLeadingZeros(n - 1); // 2^log < n <= 2^(log+1)
    int step = 1 << (log - 3);
    return 8 + (log - 7) * 8 + ((n - 1 - (1 << log)) / step);
  }

  private static int classSize(int index) {
    if (index < 8) {
      return (index + 1) << 4;
    }
    int log = 7 + (index - 8) / 8;
    return (1 << log) + ((index - 8) % 8 + 1) * (1 << (log - 3));
  }

  /**
   * A body holding the readable bytes of {@code chunks}, in order, copied into one slot ({@code
   * length} their total, 1 to {@link #MAX_SLOT}); the chunks are not changed.
   */
  Body copyOf(java.util.List<ByteBuf> chunks, int length) {
    Body body = classes[classIndex(length)].allocate(alloc, length);
    ByteBuf slab = body.slab().buf;
    int pos = body.offset();
    for (ByteBuf c : chunks) {
      int n = c.readableBytes();
      slab.setBytes(pos, c, c.readerIndex(), n);
      pos += n;
    }
    return body;
  }

  /**
   * Gives the kept empty slabs back to the pool and makes every slab go back as soon as it empties
   * from now on; slabs still holding bodies (a delivery in progress) stay until those are released.
   */
  void close() {
    for (SizeClass c : classes) {
      c.close();
    }
  }

  /** Number of size classes (tests). */
  int classCount() {
    return classes.length;
  }

  /** Slabs held now, over all classes (tests and diagnostics). */
  int slabCount() {
    int n = 0;
    for (SizeClass c : classes) {
      synchronized (c) {
        n += c.slabs;
      }
    }
    return n;
  }

  /** The slabs of one slot size; slabs with a free slot form a doubly linked list. */
  static final class SizeClass {
    final int slotSize;
    final int slotsPerSlab;
    /** Slabs with at least one free slot, the ones to fill first at the head. */
    private Slab available;
    private int slabs;
    private boolean closed;

    SizeClass(int slotSize) {
      this.slotSize = slotSize;
      this.slotsPerSlab = Math.max(1, Math.min(MAX_SLOTS_PER_SLAB, SLAB_BYTES / slotSize));
    }

    synchronized Body allocate(ByteBufAllocator alloc, int length) {
      Slab s = available;
      if (s == null) {
        int bytes = slotSize * slotsPerSlab;
        s = new Slab(this, alloc.directBuffer(bytes, bytes), slotsPerSlab);
        slabs++;
        link(s);
      }
      int slot = s.take();
      if (s.used == s.slots) {
        unlink(s);
      }
      return new Body(s, slot, length);
    }

    synchronized void free(Slab s, int slot) {
      boolean wasFull = s.used == s.slots;
      s.give(slot);
      if (wasFull) {
        link(s);
      }
      if (s.used == 0 && (closed || s.prev != null || s.next != null)) {
        // empty and not the class's only slab with room: back to the pool
        unlink(s);
        slabs--;
        s.buf.release();
      }
    }

    synchronized void close() {
      closed = true;
      for (Slab s = available; s != null; ) {
        Slab next = s.next;
        if (s.used == 0) {
          unlink(s);
          slabs--;
          s.buf.release();
        }
        s = next;
      }
    }

    private void link(Slab s) {
      s.prev = null;
      s.next = available;
      if (available != null) {
        available.prev = s;
      }
      available = s;
    }

    private void unlink(Slab s) {
      if (s.prev != null) {
        s.prev.next = s.next;
      } else {
        available = s.next;
      }
      if (s.next != null) {
        s.next.prev = s.prev;
      }
      s.prev = null;
      s.next = null;
    }
  }

  /** One slab: its memory, which slots are taken, and its place in its class's list. Guarded by the class. */
  static final class Slab {
    final SizeClass sizeClass;
    final ByteBuf buf;
    final int slots;
    private final long[] taken;
    int used;
    Slab prev;
    Slab next;

    Slab(SizeClass sizeClass, ByteBuf buf, int slots) {
      this.sizeClass = sizeClass;
      this.buf = buf;
      this.slots = slots;
      this.taken = new long[(slots + 63) >>> 6];
    }

    int take() {
      for (int w = 0; w < taken.length; w++) {
        long free = ~taken[w];
        if (free != 0) {
          int bit = Long.numberOfTrailingZeros(free);
          int slot = (w << 6) + bit;
          if (slot < slots) {
            taken[w] |= 1L << bit;
            used++;
            return slot;
          }
        }
      }
      throw new IllegalStateException("no free slot in a slab listed as available");
    }

    void give(int slot) {
      long mask = 1L << (slot & 63);
      if ((taken[slot >>> 6] & mask) == 0) {
        throw new IllegalStateException("slot freed twice");
      }
      taken[slot >>> 6] &= ~mask;
      used--;
    }

    /** Frees the slot; called once, by the body's last release. */
    void free(int slot) {
      sizeClass.free(this, slot);
    }
  }
}
