package dev.kasoku.logging.segment;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Segment files survive what a crash or a disk does to them: a torn tail at any offset is cut back
 * to the last complete block, a damaged block in the middle is taken out with the rest kept, no kept
 * record is ever altered, and the file stays readable by the standard gzip tool throughout.
 */
class SegmentFileTest {
  private static final int BLOCKS = 40;
  @TempDir Path dir;
  private final Random random = new Random(20261202);
  private final List<String> blocks = new ArrayList<>();
  private final List<Long> ends = new ArrayList<>();
  private Path original;

  @BeforeEach
  void writeSegment() throws IOException {
    original = dir.resolve("original.ndjson.gz");
    try (FileChannel ch = FileChannel.open(original, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      for (int b = 0; b < BLOCKS; b++) {
        StringBuilder lines = new StringBuilder();
        int n = 1 + random.nextInt(60);
        for (int i = 0; i < n; i++) {
          lines.append("{\"ts\":\"2026-12-02T06:00:00.000Z\",\"block\":").append(b).append(",\"line\":").append(i)
              .append(",\"path\":\"/p/").append(Long.toHexString(random.nextLong())).append("\"}\n");
        }
        blocks.add(lines.toString());
        SegmentFile.append(ch, SegmentFormat.block(lines.toString().getBytes(StandardCharsets.UTF_8)));
        ends.add(ch.size());
      }
      ch.force(true);
    }
  }

  private Path copy(String name) throws IOException {
    Path p = dir.resolve(name);
    Files.copy(original, p);
    return p;
  }

  private static List<String> read(Path file) throws IOException {
    List<String> out = new ArrayList<>();
    SegmentFile.read(file, data -> out.add(new String(data, StandardCharsets.UTF_8)));
    return out;
  }

  /** gzip -dc's output of the file, or null when gzip refuses it. */
  private static String gunzip(Path file) throws Exception {
    Process p = new ProcessBuilder("gzip", "-dc", file.toString()).redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    p.getInputStream().transferTo(out);
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
    return p.exitValue() == 0 ? out.toString(StandardCharsets.UTF_8) : null;
  }

  @Test
  void blocksReadBackAsWrittenAndTheStandardGzipToolReadsTheFile() throws Exception {
    assertThat(read(original)).containsExactlyElementsOf(blocks);
    assertThat(gunzip(original)).isEqualTo(String.join("", blocks));
    assertThat(SegmentFile.recover(copy("clean.gz")).clean()).isTrue();
  }

  @Test
  void aTornTailAtAnyOffsetIsCutBackToTheLastCompleteBlock() throws Exception {
    long size = Files.size(original);
    for (int trial = 0; trial < 150; trial++) {
      long cut = 1 + (long) (random.nextDouble() * (size - 1));
      Path torn = dir.resolve("torn-" + trial + ".gz");
      Files.copy(original, torn);
      try (FileChannel ch = FileChannel.open(torn, StandardOpenOption.WRITE)) {
        ch.truncate(cut);
      }
      int complete = (int) ends.stream().filter(e -> e <= cut).count();
      SegmentFile.Recovery r = SegmentFile.recover(torn);
      assertThat(r.blocks()).as("cut at %d", cut).isEqualTo(complete);
      assertThat(r.damagedBlocks()).isZero();
      assertThat(read(torn)).containsExactlyElementsOf(blocks.subList(0, complete));
      assertThat(Files.size(torn)).isEqualTo(complete == 0 ? 0 : ends.get(complete - 1));
      if (complete > 0) {
        assertThat(gunzip(torn)).isEqualTo(String.join("", blocks.subList(0, complete)));
      }
      Files.delete(torn);
    }
  }

  @Test
  void aDamagedBlockIsTakenOutAndEveryOtherBlockKeptUnaltered() throws Exception {
    for (int trial = 0; trial < 60; trial++) {
      int victim = random.nextInt(BLOCKS);
      long start = victim == 0 ? 0 : ends.get(victim - 1);
      long at = start + (long) (random.nextDouble() * (ends.get(victim) - start));
      Path damaged = dir.resolve("damaged-" + trial + ".gz");
      Files.copy(original, damaged);
      byte[] bytes = Files.readAllBytes(damaged);
      bytes[(int) at] ^= (byte) (1 + random.nextInt(255));
      Files.write(damaged, bytes);

      SegmentFile.Recovery r = SegmentFile.recover(damaged);
      List<String> expected = new ArrayList<>(blocks);
      List<String> kept = read(damaged);
      long inBlock = at - start;
      if (inBlock >= 4 && inBlock < 10) {
        // MTIME, XFL and OS of the gzip header carry no data: the records are intact either way
        assertThat(r.clean()).isTrue();
        assertThat(kept).containsExactlyElementsOf(expected);
        Files.delete(damaged);
        continue;
      }
      expected.remove(victim);
      if (victim == BLOCKS - 1) {
        assertThat(r.tornTailBytes()).as("the last block damaged looks like a torn tail").isPositive();
      } else {
        assertThat(r.damagedBlocks()).as("byte %d of block %d", at, victim).isEqualTo(1);
      }
      assertThat(kept).as("byte %d of block %d", at, victim).containsExactlyElementsOf(expected);
      assertThat(gunzip(damaged)).isEqualTo(String.join("", expected));
      assertThat(SegmentFile.recover(damaged).clean()).as("a second recovery finds nothing").isTrue();
      Files.delete(damaged);
    }
  }

  /** A sink's reader follows a file the writer is appending to: a block half written is read once it is whole. */
  @Test
  void aFollowingCursorWaitsForABlockStillBeingWrittenAndResumesAtItsPosition() throws IOException {
    Path f = copy("growing.ndjson.gz");
    byte[] extra = SegmentFormat.block("{\"ts\":\"2026-12-02T06:00:00.000Z\",\"late\":1}\n".getBytes(StandardCharsets.UTF_8));
    long end;
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
      end = ch.size();
      ch.write(java.nio.ByteBuffer.wrap(extra, 0, extra.length / 2), end);
    }
    long resumeAt;
    try (SegmentFile.Cursor c = new SegmentFile.Cursor(f, ends.get(BLOCKS - 3), true)) {
      assertThat(new String(c.next(), StandardCharsets.UTF_8)).isEqualTo(blocks.get(BLOCKS - 2));
      assertThat(new String(c.next(), StandardCharsets.UTF_8)).isEqualTo(blocks.get(BLOCKS - 1));
      assertThat(c.next()).as("half a block is not there yet").isNull();
      assertThat(c.position()).isEqualTo(end);
      resumeAt = c.position();
    }
    try (SegmentFile.Cursor plain = new SegmentFile.Cursor(f, resumeAt, false)) {
      assertThat(plain.next()).isNull();
      assertThat(plain.position()).as("a plain cursor skips it").isEqualTo(end + extra.length / 2);
    }
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap(extra, extra.length / 2, extra.length - extra.length / 2), end + extra.length / 2);
    }
    try (SegmentFile.Cursor c = new SegmentFile.Cursor(f, resumeAt, true)) {
      assertThat(new String(c.next(), StandardCharsets.UTF_8)).contains("\"late\":1");
      assertThat(c.position()).isEqualTo(end + extra.length);
      assertThat(c.next()).isNull();
    }
  }
}
