package dev.kasoku.cacheedge.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.util.ResourceLeakDetector;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Small bodies as slots of shared slabs: they keep their bytes while referenced, their slots are
 * reused only once freed, empty slabs go back to the pool, and nothing leaks.
 */
class SlabsTest {
  private MemoryStorage storage = new MemoryStorage(64 << 20, 8 << 20, 32);

  private static ResourceLeakDetector.Level previousLevel;

  @BeforeAll
  static void paranoidLeakDetection() {
    // every pooled buffer (the slabs) is tracked: one dropped without release is logged as a leak
    previousLevel = ResourceLeakDetector.getLevel();
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
  }

  @AfterAll
  static void restoreLeakDetection() {
    ResourceLeakDetector.setLevel(previousLevel);
  }

  @AfterEach
  void tearDown() {
    storage.close();
  }

  private static byte[] bytes(int n, int seed) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (seed * 31 + i * 7);
    }
    return b;
  }

  private Body write(byte[] content) {
    BodyWriter w = storage.newBody(content.length);
    w.append(Buffer.buffer(content));
    return w.finish();
  }

  @Test
  void aSlotFitsItsBodyWithAtMostAnEighthToSpare() {
    int previous = 0;
    for (int n = 1; n <= Slabs.MAX_SLOT; n++) {
      int slot = Slabs.slotSize(n);
      assertThat(slot).as("slot for %d", n).isGreaterThanOrEqualTo(n).isGreaterThanOrEqualTo(previous);
      assertThat(slot - n).as("slack for %d", n).isLessThan(Math.max(16, n / 8 + 1));
      previous = slot;
    }
    assertThat(Slabs.slotSize(1024)).isEqualTo(1024);
    assertThat(Slabs.slotSize(Slabs.MAX_SLOT)).isEqualTo(Slabs.MAX_SLOT);
  }

  @Test
  void smallBodiesShareSlabsAndChargeTheirSlot() {
    List<Body> bodies = new ArrayList<>();
    List<byte[]> contents = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      byte[] c = bytes(1000 + i % 24, i);
      contents.add(c);
      bodies.add(write(c));
    }
    // 1,000 to 1,023 bytes all take 1 KiB slots, 64 to a slab
    assertThat(storage.slabs().slabCount()).isEqualTo(4);
    for (int i = 0; i < bodies.size(); i++) {
      Body b = bodies.get(i);
      assertThat(b.chunkCount()).isEqualTo(1);
      assertThat(b.length()).isEqualTo(contents.get(i).length);
      assertThat(b.capacity()).isEqualTo(1024);
      assertThat(b.toBytes()).isEqualTo(contents.get(i));
      assertThat(b.chunk(0).getBytes()).isEqualTo(contents.get(i));
      assertThat(concatenated(b.slice(3, 900))).isEqualTo(Arrays.copyOfRange(contents.get(i), 3, 900));
    }
    bodies.forEach(Body::release);
  }

  @Test
  void aBodyStillReferencedKeepsItsBytesWhileOthersAreFreedAndRefilled() {
    byte[] kept = bytes(700, 99);
    Body reader = write(kept);
    List<Body> others = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      others.add(write(bytes(700, i)));
    }
    assertThat(reader.tryRetain()).isTrue(); // a delivery in progress
    reader.release(); // the storage drops it (purge, eviction)
    others.forEach(Body::release);
    for (int i = 0; i < 300; i++) {
      others.add(write(bytes(700, 1000 + i))); // refills take the freed slots
    }

    assertThat(reader.isFreed()).isFalse();
    assertThat(reader.toBytes()).as("its slot was not handed out again").isEqualTo(kept);
    assertThat(reader.chunk(0).getBytes()).isEqualTo(kept);
    reader.release();
    assertThat(reader.isFreed()).isTrue();
    for (int i = 300; i < others.size(); i++) {
      others.get(i).release();
    }
  }

  @Test
  void emptySlabsGoBackToThePoolAndNothingLeaks() {
    long before = storage.usedDirectMemory();
    List<Body> bodies = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      bodies.add(write(bytes(1 + (i * 37) % Slabs.MAX_SLOT, i)));
    }
    assertThat(storage.usedDirectMemory()).isGreaterThan(before);
    bodies.forEach(Body::release);

    // one empty slab per class may be kept for the next body of its size
    assertThat(storage.slabs().slabCount()).isPositive().isLessThanOrEqualTo(storage.slabs().classCount());
    storage.close();
    assertThat(storage.slabs().slabCount()).as("close frees the kept slabs too").isZero();
  }

  @Test
  void aSlabStillHoldingABodyAtCloseGoesBackWhenThatBodyIsReleased() {
    Body reader = write(bytes(300, 3));
    storage.close();
    assertThat(storage.slabs().slabCount()).isEqualTo(1);
    assertThat(reader.toBytes()).isEqualTo(bytes(300, 3));
    reader.release();
    assertThat(storage.slabs().slabCount()).isZero();
  }

  @Test
  void aBodyReleasedMoreOftenThanRetainedIsRefused() {
    Body b = write(bytes(500, 1));
    b.release();
    assertThat(b.isFreed()).isTrue();
    assertThatThrownBy(b::release).isInstanceOf(IllegalStateException.class);
    assertThat(storage.slabs().slabCount()).isEqualTo(1);
  }

  @Test
  void largerBodiesKeepPooledChunksOfTheirOwn() {
    Body b = write(bytes(Slabs.MAX_SLOT + 1, 5));
    assertThat(storage.slabs().slabCount()).isZero();
    assertThat(b.toBytes()).isEqualTo(bytes(Slabs.MAX_SLOT + 1, 5));
    b.release();
    assertThat(b.isFreed()).isTrue();
  }

  private static byte[] concatenated(Buffer[] parts) {
    Buffer all = Buffer.buffer();
    for (Buffer p : parts) {
      all.appendBuffer(p);
    }
    return all.getBytes();
  }
}
