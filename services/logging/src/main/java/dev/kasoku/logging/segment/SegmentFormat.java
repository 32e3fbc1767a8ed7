package dev.kasoku.logging.segment;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * The on-disk form of stored access logs: a segment file is a sequence of blocks, and each block is
 * one complete gzip member (RFC 1952) holding whole NDJSON lines. A file is therefore a valid
 * multi-member gzip file that {@code zcat}, {@code gzip -t} or any gzip library reads as one stream
 * of lines.
 *
 * <p>Each member's header carries an extra field (subfield {@code KB}, 4 bytes, little-endian) with
 * the member's total length, the idea of BGZF: a reader finds block boundaries without
 * decompressing, so recovery can check block after block and cut exactly at the first one that is
 * incomplete. The member's own trailer (CRC-32 and length of the uncompressed data) is the block's
 * checksum: a block torn by a crash, or damaged later, fails it.
 *
 * <p>Layout of a block: {@code 1f 8b 08 04} (gzip, deflate, FEXTRA), MTIME 0, XFL 0, OS 255,
 * XLEN 8, {@code 'K' 'B'}, 4, total length (u32 LE); raw deflate data; CRC-32 (u32 LE);
 * uncompressed length (u32 LE).
 */
public final class SegmentFormat {
  /** Bytes before the deflate data. */
  static final int HEADER = 20;
  /** Bytes after it. */
  static final int TRAILER = 8;
  /** Largest uncompressed block we write or accept (gzip's ISIZE is 32 bits; we stay far below). */
  public static final int MAX_BLOCK_BYTES = 16 * 1024 * 1024;

  private SegmentFormat() {}

  /** One block holding {@code data} (whole lines, each ending in '\n'). */
  public static byte[] block(byte[] data) {
    return block(data, 0, data.length);
  }

  /** One block holding {@code data[from, to)} (whole lines, each ending in '\n'). */
  public static byte[] block(byte[] data, int from, int to) {
    int length = to - from;
    if (length > MAX_BLOCK_BYTES) {
      throw new IllegalArgumentException("block of " + length + " bytes exceeds " + MAX_BLOCK_BYTES);
    }
    Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
    try {
      deflater.setInput(data, from, length);
      deflater.finish();
      // log lines deflate to a fraction of their size: start at a quarter, grow when that is not enough
      byte[] out = new byte[HEADER + length / 4 + 64 + TRAILER];
      int n = 0;
      while (!deflater.finished()) {
        if (HEADER + n == out.length - TRAILER) {
          out = java.util.Arrays.copyOf(out, out.length * 2);
        }
        n += deflater.deflate(out, HEADER + n, out.length - TRAILER - HEADER - n);
      }
      int total = HEADER + n + TRAILER;
      ByteBuffer b = ByteBuffer.wrap(out, 0, total).order(ByteOrder.LITTLE_ENDIAN);
      b.put((byte) 0x1f).put((byte) 0x8b).put((byte) 8).put((byte) 4).putInt(0).put((byte) 0).put((byte) 255);
      b.putShort((short) 8).put((byte) 'K').put((byte) 'B').putShort((short) 4).putInt(total);
      CRC32 crc = new CRC32();
      crc.update(data, from, length);
      b.position(HEADER + n);
      b.putInt((int) crc.getValue()).putInt(length);
      return java.util.Arrays.copyOf(out, total);
    } finally {
      deflater.end();
    }
  }

  /**
   * The total length a block header at {@code at} announces, or -1 when {@code buf} has no complete
   * header of ours there.
   */
  static int announcedLength(byte[] buf, int at, int available) {
    if (available < HEADER) {
      return -1;
    }
    ByteBuffer b = ByteBuffer.wrap(buf, at, HEADER).order(ByteOrder.LITTLE_ENDIAN);
    if (b.get() != 0x1f || b.get() != (byte) 0x8b || b.get() != 8 || b.get() != 4) {
      return -1;
    }
    b.position(at + 10);
    if (b.getShort() != 8 || b.get() != 'K' || b.get() != 'B' || b.getShort() != 4) {
      return -1;
    }
    int total = b.getInt();
    return total < HEADER + TRAILER || total > MAX_BLOCK_BYTES * 2 ? -1 : total;
  }

  /**
   * The data of the complete block {@code buf[at, at + length)}, or null when it does not verify
   * (bad deflate data, CRC-32 or length mismatch).
   */
  static byte[] open(byte[] buf, int at, int length) {
    ByteBuffer trailer = ByteBuffer.wrap(buf, at + length - TRAILER, TRAILER).order(ByteOrder.LITTLE_ENDIAN);
    long crcExpected = trailer.getInt() & 0xffffffffL;
    int size = trailer.getInt();
    if (size < 0 || size > MAX_BLOCK_BYTES) {
      return null;
    }
    Inflater inflater = new Inflater(true);
    try {
      inflater.setInput(buf, at + HEADER, length - HEADER - TRAILER);
      byte[] data = new byte[size];
      int n = 0;
      while (n < size) {
        int got = inflater.inflate(data, n, size - n);
        if (got == 0 && (inflater.finished() || inflater.needsInput() || inflater.needsDictionary())) {
          break;
        }
        n += got;
      }
      if (n != size || !inflater.finished() && inflater.inflate(new byte[1]) != 0) {
        return null;
      }
      CRC32 crc = new CRC32();
      crc.update(data);
      return crc.getValue() == crcExpected ? data : null;
    } catch (DataFormatException e) {
      return null;
    } finally {
      inflater.end();
    }
  }
}
