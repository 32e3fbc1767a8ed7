package dev.kasoku.logging.impl;

import dev.kasoku.common.bus.Messages.AccessLogRecord;
import dev.kasoku.common.model.Ids;
import dev.kasoku.logging.segment.SegmentFile;
import dev.kasoku.logging.segment.SegmentFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * This logging instance's stored access logs: {@code <KASOKU_LOG_DIR>/<tenant>/<yyyyMMddHH>.ndjson.gz},
 * one {@link SegmentFormat segment file} per tenant and UTC hour, each written batch one block.
 *
 * <p><b>Durability.</b> {@link #write} appends one block per (tenant, hour) of the batch and forces
 * every file it touched (and the directory of a file it created) before it returns, so a batch the
 * caller acknowledges afterwards survives a crash or a power cut; {@link #recoverAll} at start cuts
 * the torn tail a crash can leave and takes out damaged blocks. Several logging instances each keep
 * their own directory.
 *
 * <p>Every method blocks and must run on one worker thread at a time (the logging verticle's
 * ordered executor): the open channels are not shared between threads.
 */
public final class AccessLogStore implements AutoCloseable {
  static final DateTimeFormatter HOUR = DateTimeFormatter.ofPattern("uuuuMMddHH").withZone(ZoneOffset.UTC);
  static final String SUFFIX = ".ndjson.gz";
  private static final DateTimeFormatter PARSE_HOUR = new java.time.format.DateTimeFormatterBuilder()
      .appendPattern("uuuuMMddHH").parseDefaulting(java.time.temporal.ChronoField.MINUTE_OF_HOUR, 0).toFormatter();
  private static final System.Logger LOG = System.getLogger(AccessLogStore.class.getName());
  /** Channels of hours older than this are closed; a late record for them reopens the file. */
  private static final Duration KEEP_OPEN = Duration.ofHours(2);

  private final Path root;
  private final Map<Path, FileChannel> open = new HashMap<>();
  /** The lines of the file being written: one buffer, grown to the largest commit and reused. */
  private final RecordLines lines = new RecordLines();

  public AccessLogStore(Path root) {
    this.root = root;
  }

  /** What {@link #recoverAll} found. */
  public record Recovered(int files, int repaired, long tornBytes, int damagedBlocks) {}

  /** Checks and repairs every segment file; run once at start, before the first write. */
  public Recovered recoverAll() throws IOException {
    Files.createDirectories(root);
    int files = 0;
    int repaired = 0;
    long torn = 0;
    int damaged = 0;
    try (DirectoryStream<Path> tenants = Files.newDirectoryStream(root, Files::isDirectory)) {
      for (Path tenant : tenants) {
        try (DirectoryStream<Path> segments = Files.newDirectoryStream(tenant, "*" + SUFFIX)) {
          for (Path segment : segments) {
            SegmentFile.Recovery r = SegmentFile.recover(segment);
            files++;
            if (!r.clean()) {
              repaired++;
              torn += r.tornTailBytes();
              damaged += r.damagedBlocks();
              LOG.log(System.Logger.Level.WARNING, "access-log segment " + segment + " repaired: torn tail of "
                  + r.tornTailBytes() + " bytes cut, " + r.damagedBlocks() + " damaged blocks ("
                  + r.damagedBytes() + " bytes) taken out, " + r.blocks() + " blocks kept");
            }
          }
        }
      }
    }
    return new Recovered(files, repaired, torn, damaged);
  }

  /**
   * Stores the records durably: when this returns, they are on disk.
   *
   * @return the records stored (those without a tenant are not: they belong to no one's log)
   */
  public int write(List<AccessLogRecord> records, Instant now) throws IOException {
    return writeAll(List.of(records), now)[0];
  }

  /**
   * Stores several batches durably at once (a group commit: one block per tenant and hour for all
   * of them, one force per file touched): when this returns, they are all on disk.
   *
   * @return per batch, the records stored
   */
  public int[] writeAll(List<List<AccessLogRecord>> batches, Instant now) throws IOException {
    // a batch is mostly one tenant's records of one hour: its file is named once, not per record
    Map<Path, List<AccessLogRecord>> byFile = new LinkedHashMap<>();
    int[] stored = new int[batches.size()];
    String lastTenant = null;
    long lastHour = Long.MIN_VALUE;
    List<AccessLogRecord> into = null;
    for (int b = 0; b < stored.length; b++) {
      for (AccessLogRecord r : batches.get(b)) {
        if (r.tenant() == null || !Ids.isValid(r.tenant())) {
          continue;
        }
        long hour = Math.floorDiv(r.ts().getEpochSecond(), 3600);
        if (into == null || hour != lastHour || !r.tenant().equals(lastTenant)) {
          into = byFile.computeIfAbsent(file(r.tenant(), r.ts()), f -> new ArrayList<>());
          lastTenant = r.tenant();
          lastHour = hour;
        }
        into.add(r);
        stored[b]++;
      }
    }
    List<FileChannel> touched = new ArrayList<>(byFile.size());
    for (Map.Entry<Path, List<AccessLogRecord>> e : byFile.entrySet()) {
      FileChannel ch = channel(e.getKey());
      // one file's lines at a time, in the one buffer this store keeps for them
      RecordLines text = lines;
      text.reset();
      for (AccessLogRecord r : e.getValue()) {
        text.add(r);
      }
      byte[] data = text.array();
      int length = text.length();
      for (int from = 0; from < length; ) {
        int to = Math.min(length, from + SegmentFormat.MAX_BLOCK_BYTES);
        while (to < length && data[to - 1] != '\n') {
          to--;
        }
        SegmentFile.append(ch, SegmentFormat.block(data, from, to));
        from = to;
      }
      touched.add(ch);
    }
    lines.trim();
    for (FileChannel ch : touched) {
      ch.force(false);
    }
    closeOlderThan(now.minus(KEEP_OPEN));
    return stored;
  }

  /** The segment files of the tenant that may hold records of [from, to), oldest hour first. */
  public List<Path> files(String tenant, Instant from, Instant to) {
    List<Path> out = new ArrayList<>();
    for (Instant h = from.truncatedTo(ChronoUnit.HOURS); h.isBefore(to); h = h.plus(Duration.ofHours(1))) {
      Path f = file(tenant, h);
      if (Files.exists(f)) {
        out.add(f);
      }
    }
    return out;
  }

  /** The tenants that have a directory here, in id order. Reads the directory only. */
  public List<String> tenants() throws IOException {
    List<String> out = new ArrayList<>();
    if (!Files.isDirectory(root)) {
      return out;
    }
    try (DirectoryStream<Path> tenants = Files.newDirectoryStream(root, Files::isDirectory)) {
      for (Path tenant : tenants) {
        if (Ids.isValid(tenant.getFileName().toString())) {
          out.add(tenant.getFileName().toString());
        }
      }
    }
    out.sort(String::compareTo);
    return out;
  }

  /**
   * Deletes the segment files whose whole hour is older than their tenant's cutoff
   * ({@code beforeByTenant}, or {@code otherwise} for a tenant it does not name); returns how many.
   */
  public int sweep(Map<String, Instant> beforeByTenant, Instant otherwise) throws IOException {
    int deleted = 0;
    if (!Files.isDirectory(root)) {
      return 0;
    }
    try (DirectoryStream<Path> tenants = Files.newDirectoryStream(root, Files::isDirectory)) {
      for (Path tenant : tenants) {
        Instant before = beforeByTenant.getOrDefault(tenant.getFileName().toString(), otherwise);
        try (DirectoryStream<Path> segments = Files.newDirectoryStream(tenant, "*" + SUFFIX)) {
          for (Path segment : segments) {
            Instant hour = hourOf(segment);
            if (hour != null && !hour.plus(Duration.ofHours(1)).isAfter(before)) {
              erase(segment);
              deleted++;
            }
          }
        }
      }
    }
    return deleted;
  }

  /** Erases every stored log of the tenant: each file overwritten with zeros, forced, then deleted. */
  public int eraseTenant(String tenant) throws IOException {
    Path dir = root.resolve(Ids.requireValid(tenant));
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    int erased = 0;
    try (DirectoryStream<Path> segments = Files.newDirectoryStream(dir)) {
      for (Path segment : segments) {
        erase(segment);
        erased++;
      }
    }
    Files.deleteIfExists(dir);
    SegmentFile.forceDirectory(root);
    return erased;
  }

  private void erase(Path file) throws IOException {
    FileChannel ch = open.remove(file);
    if (ch != null) {
      ch.close();
    }
    try (FileChannel w = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ByteBuffer zeros = ByteBuffer.allocate(64 * 1024);
      for (long at = 0, size = w.size(); at < size; ) {
        zeros.clear().limit((int) Math.min(zeros.capacity(), size - at));
        at += w.write(zeros, at);
      }
      w.force(false);
    }
    Files.delete(file);
  }

  /**
   * Every segment file of the tenant under {@code root}, oldest hour first; empty when it has none.
   * Reads the directory only, so it may run beside the writer (a log sink's reader uses it).
   */
  public static List<Path> segments(Path root, String tenant) throws IOException {
    Path dir = root.resolve(Ids.requireValid(tenant));
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (DirectoryStream<Path> segments = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
      for (Path segment : segments) {
        if (hourOf(segment) != null) {
          out.add(segment);
        }
      }
    } catch (java.nio.file.NoSuchFileException e) {
      return out; // erased meanwhile
    }
    out.sort(java.util.Comparator.comparing(p -> p.getFileName().toString()));
    return out;
  }

  /** The hour a segment file holds, from its name; null for a file that is not a segment. */
  public static Instant hourOf(Path segment) {
    String name = segment.getFileName().toString();
    if (!name.endsWith(SUFFIX) || name.length() != 10 + SUFFIX.length()) {
      return null;
    }
    try {
      return java.time.LocalDateTime.parse(name.substring(0, 10), PARSE_HOUR).toInstant(ZoneOffset.UTC);
    } catch (java.time.format.DateTimeParseException e) {
      return null;
    }
  }

  Path file(String tenant, Instant ts) {
    return root.resolve(tenant).resolve(HOUR.format(ts) + SUFFIX);
  }

  private FileChannel channel(Path file) throws IOException {
    FileChannel ch = open.get(file);
    if (ch != null) {
      return ch;
    }
    boolean created = !Files.exists(file);
    if (created) {
      boolean newDir = !Files.isDirectory(file.getParent());
      Files.createDirectories(file.getParent());
      if (newDir) {
        SegmentFile.forceDirectory(root);
      }
    }
    ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
    if (created) {
      SegmentFile.forceDirectory(file.getParent());
    }
    open.put(file, ch);
    return ch;
  }

  private void closeOlderThan(Instant cutoff) throws IOException {
    String oldest = HOUR.format(cutoff);
    for (Iterator<Map.Entry<Path, FileChannel>> it = open.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Path, FileChannel> e = it.next();
      if (e.getKey().getFileName().toString().compareTo(oldest) < 0) {
        e.getValue().close();
        it.remove();
      }
    }
  }

  @Override
  public void close() throws IOException {
    for (FileChannel ch : open.values()) {
      ch.close();
    }
    open.clear();
  }
}
