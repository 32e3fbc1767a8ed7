package dev.kasoku.logging.segment;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * One segment file of {@link SegmentFormat} blocks: appending durably, checking and repairing it
 * after a crash, and reading its lines.
 *
 * <p><b>Crash model.</b> A block is appended whole and the file is forced to disk before the
 * records it holds are acknowledged, so a crash (SIGKILL, power cut) can only leave a block that is
 * incomplete at the end of the file: everything before it was forced earlier. {@link #recover} cuts
 * such a tail. A damaged block in the middle (a disk fault) is taken out and the blocks after it kept:
 * the file is rewritten without it (to a temporary file, forced, then renamed over the original), so
 * it stays readable by standard gzip tools. Both are reported, never silent.
 */
public final class SegmentFile {
  private SegmentFile() {}

  /**
   * What recovery found in one file.
   *
   * @param blocks blocks that verified and were kept
   * @param tornTailBytes bytes of an incomplete last block that were cut
   * @param damagedBlocks damaged regions taken out from the middle of the file
   * @param damagedBytes their size
   */
  public record Recovery(int blocks, long tornTailBytes, int damagedBlocks, long damagedBytes) {
    public boolean clean() {
      return tornTailBytes == 0 && damagedBlocks == 0;
    }
  }

  /** Appends blocks at the end of an open channel; the caller forces it before acknowledging. */
  public static void append(FileChannel channel, byte[] block) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(block);
    long at = channel.size();
    while (b.hasRemaining()) {
      at += channel.write(b, at);
    }
  }

  /** Checks every block of the file and repairs it as the class comment says. */
  public static Recovery recover(Path file) throws IOException {
    List<long[]> good = new ArrayList<>();
    long size;
    long damaged = 0;
    int damagedBlocks = 0;
    long torn = 0;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      size = ch.size();
      long pos = 0;
      while (pos < size) {
        int length = validBlockAt(ch, pos, size);
        if (length > 0) {
          good.add(new long[] {pos, length});
          pos += length;
          continue;
        }
        long next = nextValidBlock(ch, pos + 1, size);
        if (next < 0) {
          torn = size - pos;
          break;
        }
        damagedBlocks++;
        damaged += next - pos;
        pos = next;
      }
    }
    if (damagedBlocks > 0) {
      rewrite(file, good);
    } else if (torn > 0) {
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
        ch.truncate(size - torn);
        ch.force(true);
      }
    }
    return new Recovery(good.size(), torn, damagedBlocks, damaged);
  }

  /** Calls {@code blocks} with the data (whole NDJSON lines) of every block that verifies, in file order. */
  public static void read(Path file, Consumer<byte[]> blocks) throws IOException {
    try (Cursor cursor = new Cursor(file)) {
      for (byte[] data = cursor.next(); data != null; data = cursor.next()) {
        blocks.accept(data);
      }
    }
  }

  /**
   * Reads a file one block at a time (constant memory: one block), skipping blocks that do not
   * verify. Blocks appended while the cursor is open are read too. Not thread-safe.
   *
   * <p>A cursor that <em>follows</em> a file still being appended to (a log sink's reader) treats
   * an incomplete block at the end as not there yet: it stays in front of it and reads it once the
   * writer has finished it, where a plain cursor skips to the end. A damaged block is skipped by both
   * once a block that verifies follows it.
   */
  public static final class Cursor implements AutoCloseable {
    private final FileChannel ch;
    private final boolean follow;
    private long pos;

    public Cursor(Path file) throws IOException {
      this(file, 0, false);
    }

    /**
     * A cursor from {@code position}: 0 or a {@link #position} an earlier cursor of the same file
     * reported.
     *
     * @param follow leave an incomplete last block for later (see the class comment)
     */
    public Cursor(Path file, long position, boolean follow) throws IOException {
      this.ch = FileChannel.open(file, StandardOpenOption.READ);
      this.follow = follow;
      this.pos = position;
    }

    /** Where the next block starts: the end of the last block returned (or of what was skipped). */
    public long position() {
      return pos;
    }

    /** The next block's data, or null at the end of the file. */
    public byte[] next() throws IOException {
      long size = ch.size();
      if (follow && pos > size) {
        pos = size; // recovery cut a tail that was never acknowledged
      }
      while (pos < size) {
        byte[] block = readBlockAt(ch, pos, size);
        if (block != null) {
          pos += block.length;
          return SegmentFormat.open(block, 0, block.length);
        }
        long next = nextValidBlock(ch, pos + 1, size);
        if (next < 0) {
          if (!follow) {
            pos = size;
          }
          return null;
        }
        pos = next;
      }
      return null;
    }

    @Override
    public void close() throws IOException {
      ch.close();
    }
  }

  private static int validBlockAt(FileChannel ch, long pos, long size) throws IOException {
    byte[] block = readBlockAt(ch, pos, size);
    return block == null ? -1 : block.length;
  }

  /** The whole block at {@code pos} if it is complete and verifies, else null. */
  private static byte[] readBlockAt(FileChannel ch, long pos, long size) throws IOException {
    if (size - pos < SegmentFormat.HEADER + SegmentFormat.TRAILER) {
      return null;
    }
    byte[] header = new byte[SegmentFormat.HEADER];
    readFully(ch, ByteBuffer.wrap(header), pos);
    int length = SegmentFormat.announcedLength(header, 0, header.length);
    if (length < 0 || pos + length > size) {
      return null;
    }
    byte[] block = new byte[length];
    readFully(ch, ByteBuffer.wrap(block), pos);
    return SegmentFormat.open(block, 0, length) == null ? null : block;
  }

  /** The position of the next block that verifies at or after {@code from}, or -1. */
  private static long nextValidBlock(FileChannel ch, long from, long size) throws IOException {
    ByteBuffer window = ByteBuffer.allocate(64 * 1024);
    for (long base = from; base < size; base += window.capacity() - 3) {
      window.clear();
      int n = ch.read(window, base);
      if (n <= 0) {
        return -1;
      }
      byte[] w = window.array();
      for (int i = 0; i + 3 < n; i++) {
        if (w[i] == 0x1f && w[i + 1] == (byte) 0x8b && w[i + 2] == 8 && w[i + 3] == 4
            && validBlockAt(ch, base + i, size) > 0) {
          return base + i;
        }
      }
      if (n < window.capacity()) {
        return -1;
      }
    }
    return -1;
  }

  private static void rewrite(Path file, List<long[]> good) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".repair");
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ);
         FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
             StandardOpenOption.WRITE)) {
      for (long[] block : good) {
        long done = 0;
        while (done < block[1]) {
          done += in.transferTo(block[0] + done, block[1] - done, out);
        }
      }
      out.force(true);
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    forceDirectory(file.getParent());
  }

  /** Makes a file creation or rename in {@code dir} durable (Linux: fsync of the directory). */
  public static void forceDirectory(Path dir) throws IOException {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }

  private static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
    while (b.hasRemaining()) {
      int n = ch.read(b, pos + b.position());
      if (n < 0) {
        throw new IOException("unexpected end of file");
      }
    }
  }
}
