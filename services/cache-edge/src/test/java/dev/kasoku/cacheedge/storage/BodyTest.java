package dev.kasoku.cacheedge.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Bodies of one chunk, several chunks and none: same bytes, memory returned once released. */
class BodyTest {
  private final MemoryStorage storage = new MemoryStorage(64 << 20, 8 << 20, 32);

  @AfterEach
  void tearDown() {
    storage.close();
  }

  private static byte[] bytes(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (i * 7 + 3);
    }
    return b;
  }

  private Body write(byte[] content, int pieces) {
    BodyWriter w = storage.newBody(-1);
    int step = Math.max(1, content.length / pieces);
    for (int pos = 0; pos < content.length; pos += step) {
      w.append(Buffer.buffer(Arrays.copyOfRange(content, pos, Math.min(content.length, pos + step))));
    }
    return w.finish();
  }

  private static byte[] concat(Buffer[] parts) {
    Buffer all = Buffer.buffer();
    for (Buffer p : parts) {
      all.appendBuffer(p);
    }
    return all.getBytes();
  }

  @Test
  void aSmallBodyIsOneChunkWithTheSameBytesAndItsMemoryReturnsOnRelease() {
    long before = storage.usedDirectMemory();
    byte[] content = bytes(1000);
    Body b = write(content, 3);

    assertThat(b.chunkCount()).isEqualTo(1);
    assertThat(b.length()).isEqualTo(1000);
    assertThat(b.toBytes()).isEqualTo(content);
    assertThat(b.chunk(0).getBytes()).isEqualTo(content);
    assertThat(concat(b.slice(10, 900))).isEqualTo(Arrays.copyOfRange(content, 10, 900));
    assertThatThrownBy(() -> b.chunk(1)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThat(storage.usedDirectMemory()).isGreaterThan(before);

    assertThat(b.tryRetain()).isTrue();
    b.release();
    assertThat(b.isFreed()).isFalse();
    b.release();
    assertThat(b.isFreed()).isTrue();
    assertThat(b.tryRetain()).isFalse();
  }

  @Test
  void aLargeBodyKeepsItsPooledChunks() {
    byte[] content = bytes(3 * BodyWriter.MAX_CHUNK + 5);
    Body b = write(content, 7);

    assertThat(b.chunkCount()).isGreaterThan(1);
    assertThat(concat(b.slice(0, b.length()))).isEqualTo(content);
    Buffer whole = Buffer.buffer();
    for (int i = 0; i < b.chunkCount(); i++) {
      whole.appendBuffer(b.chunk(i));
    }
    assertThat(whole.getBytes()).isEqualTo(content);
    b.release();
    assertThat(b.isFreed()).isTrue();
  }

  @Test
  void theEmptyBodyHasNoChunks() {
    Body b = write(new byte[0], 1);
    assertThat(b).isSameAs(Body.EMPTY);
    assertThat(b.chunkCount()).isZero();
    assertThat(b.slice(0, 0)).isEmpty();
  }
}
