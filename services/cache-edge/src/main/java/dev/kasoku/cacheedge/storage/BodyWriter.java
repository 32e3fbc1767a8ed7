package dev.kasoku.cacheedge.storage;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.util.ArrayList;
import java.util.List;

/**
 * Copies a response body, as it streams past, into direct memory chunks for a {@link Body}. One
 * writer per fill, used from one thread (the fill's event loop). When the declared length is known
 * the first chunk is sized exactly; otherwise chunks grow up to {@link #MAX_CHUNK}. A finished body
 * of at most {@link Slabs#MAX_SLOT} bytes is copied into a slab slot and its chunks go back to the
 * pool at once (one extra copy of a few KiB per fill, none on hits). Going over the
 * limit frees everything copied so far and makes the writer inert: the response is then streamed
 * but not stored.
 */
public final class BodyWriter {
  /** Largest single chunk: big enough to keep the chunk count low, small enough for the pool. */
  public static final int MAX_CHUNK = 256 * 1024;
  private static final int FIRST_CHUNK = 8 * 1024;

  private final ByteBufAllocator alloc;
  private final Slabs slabs;
  private final long limit;
  private final List<ByteBuf> chunks = new ArrayList<>(2);
  private ByteBuf current;
  private long length;
  private long declaredRemaining;
  private boolean dead;

  /**
   * @param declaredLength the Content-Length, or -1 when unknown
   * @param limit the most bytes that may be stored
   */
  BodyWriter(ByteBufAllocator alloc, Slabs slabs, long declaredLength, long limit) {
    this.alloc = alloc;
    this.slabs = slabs;
    this.limit = limit;
    this.declaredRemaining = declaredLength;
    if (declaredLength > limit) {
      dead = true;
    }
  }

  /** False once the body went over the limit or was discarded: nothing will be stored. */
  public boolean alive() {
    return !dead;
  }

  /** Appends a piece of the body; returns {@link #alive()}. */
  public boolean append(Buffer data) {
    if (dead) {
      return false;
    }
    int n = data.length();
    if (length + n > limit) {
      discard();
      return false;
    }
    int pos = 0;
    while (pos < n) {
      if (current == null || !current.isWritable()) {
        int want;
        if (declaredRemaining > 0) {
          want = (int) Math.min(declaredRemaining, MAX_CHUNK);
        } else {
          want = (int) Math.min(MAX_CHUNK, Math.max(n - pos, length == 0 ? FIRST_CHUNK : Math.min(length, MAX_CHUNK)));
        }
        current = alloc.directBuffer(want, want);
        chunks.add(current);
      }
      int take = Math.min(n - pos, current.writableBytes());
      current.writeBytes(((BufferInternal) data).getByteBuf(), pos, take);
      pos += take;
      if (declaredRemaining > 0) {
        declaredRemaining = Math.max(0, declaredRemaining - take);
      }
    }
    length += n;
    return true;
  }

  /** Bytes appended so far. */
  public long length() {
    return length;
  }

  /** The finished body; the writer must not be used afterwards. Null when not alive. */
  public Body finish() {
    if (dead) {
      return null;
    }
    dead = true;
    if (length == 0) {
      chunks.forEach(ByteBuf::release);
      chunks.clear();
      return Body.EMPTY;
    }
    Body body;
    if (length <= Slabs.MAX_SLOT) {
      // small: one slot of a shared slab, so the body has no pooled buffer object of its own
      body = slabs.copyOf(chunks, (int) length);
      chunks.forEach(ByteBuf::release);
    } else {
      // a single chunk with much slack is compacted so the budget is not charged for air
      if (chunks.size() == 1 && current.capacity() - length > Math.max(512, length / 4)) {
        ByteBuf exact = alloc.directBuffer((int) length, (int) length);
        exact.writeBytes(current, current.readerIndex(), (int) length);
        current.release();
        chunks.set(0, exact);
      }
      body = new Body(chunks.toArray(new ByteBuf[0]));
    }
    chunks.clear();
    current = null;
    return body;
  }

  /** Frees what was copied; nothing will be stored. Safe to call more than once. */
  public void discard() {
    chunks.forEach(ByteBuf::release);
    chunks.clear();
    current = null;
    dead = true;
  }
}
