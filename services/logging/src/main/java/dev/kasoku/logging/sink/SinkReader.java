package dev.kasoku.logging.sink;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kasoku.common.json.Json;
import dev.kasoku.logging.impl.AccessLogStore;
import dev.kasoku.logging.segment.SegmentFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32;

/**
 * One sink's reader of this instance's stored log of one tenant: a durable cursor over the segment
 * files, no second copy of the data.
 *
 * <h2>Position</h2>
 * Records are filed by the hour of their timestamp, and a late record (an edge that kept a batch
 * while logging was down) is appended to an older hour's file. So the cursor is a position per
 * segment file ({@link SinkCursor.Position}: a block offset and the lines of that block already
 * accepted) for every file of the last {@code maxLag} hours, plus a floor hour below which files are
 * done. Each round reads the files in hour order, each from its position: the order of a sink is the
 * storage order (hour by hour, and within a file the order blocks were appended).
 *
 * <h2>Lag</h2>
 * Before each round the reader counts the lines of the blocks appended since the last count
 * ({@code countedTo}), so it knows how many records are behind the cursor ({@code lagRecords}); a
 * round reads only counted blocks. Past the lag bound it skips ahead: whole files whose hour is
 * older than {@code maxLag}, lines older than it in the hour that straddles it, and the oldest blocks
 * while more than {@code maxLagBytes} of stored bytes are behind the cursor. Every skip is counted
 * with the window it covered; the shipper announces it in the tenant's feed.
 *
 * <p><b>Cost.</b> A block is inflated once per sink in the steady state: the count keeps the blocks
 * it inflated (up to {@link #REUSE_BYTES} of them per round) and the read of the same round ships
 * from those instead of inflating them again. Past that bound (a backlog after a restart, whose
 * count is spread over rounds of at most {@link #COUNT_BUDGET_BYTES}), and when a batch is read
 * again after the receiver refused it, a block is inflated again; a round ships only counted
 * blocks. The kept blocks are dropped at the end of the round, so they cost memory only while it
 * runs. Filters, fields and sampling
 * parse each record's JSON; a sink that takes every record whole ships the stored lines as they are.
 *
 * <p>Blocking (file I/O): called from one worker at a time, by its shipper only; not thread-safe.
 */
final class SinkReader {
  static final DateTimeFormatter HOUR = DateTimeFormatter.ofPattern("uuuuMMddHH").withZone(ZoneOffset.UTC);
  /** Uncompressed bytes one batch holds at most, whatever its record count. */
  static final int MAX_BATCH_BYTES = 8 << 20;
  /** Records looked at in one round at most (a filter that drops nearly everything still returns). */
  static final int MAX_SCAN_LINES = 200_000;
  /** Stored bytes counted in one round at most (the first rounds after a restart count the backlog). */
  static final long COUNT_BUDGET_BYTES = 64L << 20;
  /** Inflated bytes the count of a round keeps for the read of the same round at most. */
  static final long REUSE_BYTES = 4L << 20;

  private final Path root;
  private final String tenant;
  private final LogSink sink;
  private final TreeMap<String, FileState> files = new TreeMap<>();
  /** Records of requests before this predate the sink: read past, neither shipped nor skipped. */
  private final Instant notBefore;
  private String floor;
  /** Inflated bytes kept in the files' {@link FileState#inflated} this round. */
  private long kept;
  /** Blocks inflated since this reader was made (what the reuse saves shows here). */
  private long inflations;

  /** Where the reader is in one file. */
  private static final class FileState {
    final Path path;
    long offset;
    int line;
    /** Blocks before this were counted into {@link #pending}. */
    long countedTo;
    /** Lines in [offset, countedTo) not yet accepted. */
    long pending;
    long size;
    /** Blocks the count of this round inflated, by the position the count read them from. */
    final Map<Long, Inflated> inflated = new HashMap<>();

    FileState(Path path, long offset, int line) {
      this.path = path;
      this.offset = offset;
      this.line = line;
      this.countedTo = offset;
      this.pending = -line;
    }
  }

  /** A block's data as the count inflated it, and the position after it. */
  private record Inflated(byte[] data, long end) {}

  /** Records given up in a round, for the notification. */
  record Skip(long records, Instant from, Instant to, String reason) {}

  /**
   * One round's batch: the shipped lines (fields selected) and where the cursor will be once the
   * receiver accepts them.
   *
   * @param skipped records the round gave up before the batch (the cursor is already past them)
   * @param lateSkip records older than the lag bound inside the batch's range, given up once the
   *     batch is accepted (null: none)
   * @param oldest timestamp of the first record behind the cursor (null: nothing behind it)
   * @param more more records are waiting after this batch (send the next one at once)
   */
  record Batch(List<String> lines, Map<String, SinkCursor.Position> next, Map<String, Long> consumed,
               List<Skip> skipped, Skip lateSkip, Instant oldest, boolean more) {}

  /** What a round found behind the cursor. */
  record Lag(long records, long bytes) {}

  SinkReader(Path root, String tenant, LogSink sink) {
    this.root = root;
    this.tenant = tenant;
    this.sink = sink;
    this.notBefore = sink.createdAt();
  }

  /**
   * Restores a stored cursor, or starts a new one: a new sink ships the records of requests from
   * its creation on (by their timestamp), whenever this instance learns of it, so an instance that
   * sees a new list a moment after another stored it still ships what it took in meanwhile. Without
   * a creation time (a list stored before sinks had one) it starts at the current end of every file.
   */
  void open(SinkCursor stored, Instant now) throws IOException {
    files.clear();
    if (stored != null) {
      floor = stored.floor();
      for (Map.Entry<String, SinkCursor.Position> e : stored.files().entrySet()) {
        files.put(e.getKey(), new FileState(root.resolve(tenant).resolve(e.getKey() + suffix()), e.getValue().offset(),
            e.getValue().line()));
      }
      return;
    }
    Instant lagFloor = now.minus(sink.maxLagValue());
    Instant from = notBefore == null || notBefore.isBefore(lagFloor) ? lagFloor : notBefore;
    floor = HOUR.format(from);
    for (Path p : AccessLogStore.segments(root, tenant)) {
      String hour = hourOf(p);
      if (hour.compareTo(floor) >= 0) {
        files.put(hour, new FileState(p, notBefore == null ? Files.size(p) : 0, 0));
      }
    }
  }

  private static String suffix() {
    return ".ndjson.gz";
  }

  private static String hourOf(Path segment) {
    return HOUR.format(AccessLogStore.hourOf(segment));
  }

  /** The cursor as stored (positions only; the shipper adds the health). */
  Map<String, SinkCursor.Position> positions() {
    Map<String, SinkCursor.Position> out = new TreeMap<>();
    files.forEach((h, f) -> out.put(h, new SinkCursor.Position(f.offset, f.line)));
    return out;
  }

  String floor() {
    return floor;
  }

  /**
   * One round: notices new and vanished files, counts what is behind the cursor, skips what is past
   * the lag bound, and reads the next batch.
   */
  Batch next(Instant now) throws IOException {
    List<Skip> skips = new ArrayList<>();
    refresh(now, skips);
    count();
    Instant cutoff = now.minus(sink.maxLagValue());
    skipOlderThan(cutoff, skips);
    skipBeyondBytes(skips);
    try {
      return read(cutoff, skips);
    } finally {
      files.values().forEach(f -> f.inflated.clear());
      kept = 0;
    }
  }

  /** Blocks this reader inflated so far, to count and to read. */
  long inflatedBlocks() {
    return inflations;
  }

  /** Records and stored bytes behind the cursor, as of the last round. */
  Lag lag() {
    long records = 0;
    long bytes = 0;
    for (FileState f : files.values()) {
      records += Math.max(0, f.pending);
      bytes += Math.max(0, f.size - f.offset);
    }
    return new Lag(records, bytes);
  }

  /** Moves the cursor past an accepted batch. */
  void commit(Batch batch) {
    for (Map.Entry<String, SinkCursor.Position> e : batch.next().entrySet()) {
      FileState f = files.get(e.getKey());
      if (f == null) {
        continue; // the file went away (retention, erasure) while the batch was out
      }
      f.offset = e.getValue().offset();
      f.line = e.getValue().line();
      f.pending -= batch.consumed().getOrDefault(e.getKey(), 0L);
      if (f.countedTo < f.offset) {
        f.countedTo = f.offset;
        f.pending = -f.line;
      }
    }
  }

  private void refresh(Instant now, List<Skip> skips) throws IOException {
    Map<String, Path> present = new HashMap<>();
    for (Path p : AccessLogStore.segments(root, tenant)) {
      present.put(hourOf(p), p);
    }
    for (Map.Entry<String, Path> e : present.entrySet()) {
      if (!files.containsKey(e.getKey()) && e.getKey().compareTo(floor) >= 0) {
        files.put(e.getKey(), new FileState(e.getValue(), 0, 0));
      }
    }
    String prunable = HOUR.format(now.minus(sink.maxLagValue()).minus(Duration.ofHours(1)));
    for (var it = files.entrySet().iterator(); it.hasNext(); ) {
      var e = it.next();
      FileState f = e.getValue();
      boolean gone = !present.containsKey(e.getKey());
      if (!gone) {
        try {
          f.size = Files.size(f.path);
        } catch (NoSuchFileException removed) {
          gone = true;
        }
      }
      if (gone) {
        if (f.pending > 0) {
          skips.add(new Skip(f.pending, hourStart(e.getKey()), hourStart(e.getKey()).plus(Duration.ofHours(1)),
              "its stored file was removed (retention or erasure)"));
        }
        it.remove();
      } else if (e.getKey().compareTo(prunable) < 0 && f.offset >= f.size) {
        // delivered, and older than the lag bound: a late record for it would be skipped anyway
        it.remove();
        String next = HOUR.format(hourStart(e.getKey()).plus(Duration.ofHours(1)));
        if (next.compareTo(floor) > 0) {
          floor = next;
        }
      }
    }
  }

  /** Counts the lines of the blocks appended since the last count, within the round's budget. */
  private void count() throws IOException {
    long budget = COUNT_BUDGET_BYTES;
    for (FileState f : files.values()) {
      if (budget <= 0) {
        return;
      }
      if (f.countedTo >= f.size) {
        continue;
      }
      try (SegmentFile.Cursor c = new SegmentFile.Cursor(f.path, f.countedTo, true)) {
        while (budget > 0 && c.position() < f.size) {
          long at = c.position();
          byte[] block = c.next();
          if (block == null) {
            break;
          }
          inflations++;
          f.pending += lines(block);
          budget -= c.position() - at;
          if (kept + block.length <= REUSE_BYTES) {
            f.inflated.put(at, new Inflated(block, c.position()));
            kept += block.length;
          }
        }
        f.countedTo = c.position();
      } catch (NoSuchFileException removed) {
        // noticed by the next refresh
      }
    }
  }

  /** Gives up whole files whose hour ended before the cutoff and are not delivered. */
  private void skipOlderThan(Instant cutoff, List<Skip> skips) throws IOException {
    for (Map.Entry<String, FileState> e : files.entrySet()) {
      FileState f = e.getValue();
      if (f.offset < f.size && !hourStart(e.getKey()).plus(Duration.ofHours(1)).isAfter(cutoff)) {
        Skip s = skip(f, Long.MAX_VALUE, "older than the lag bound of " + sink.maxLag());
        if (s.records() > 0) {
          skips.add(s);
        }
      }
    }
  }

  /** Gives up the oldest blocks while more stored bytes than the bound are behind the cursor. */
  private void skipBeyondBytes(List<Skip> skips) throws IOException {
    long behind = lag().bytes();
    long excess = behind - sink.maxLagBytes();
    if (excess <= 0) {
      return;
    }
    long records = 0;
    Instant from = null;
    Instant to = null;
    for (FileState f : files.values()) {
      if (excess <= 0) {
        break;
      }
      long before = f.offset;
      Skip s = skip(f, excess, null);
      excess -= f.offset - before;
      records += s.records();
      from = from == null || s.from() != null && s.from().isBefore(from) ? s.from() : from;
      to = to == null || s.to() != null && s.to().isAfter(to) ? s.to() : to;
    }
    if (records > 0) {
      skips.add(new Skip(records, from, to, "more than " + sink.maxLagBytes() + " stored bytes behind (the lag bound)"));
    }
  }

  /**
   * Moves the cursor of one file forward over whole blocks until {@code bytes} stored bytes are
   * passed (or the file's end), counting the lines given up and their time window.
   */
  private Skip skip(FileState f, long bytes, String reason) throws IOException {
    long records = 0;
    Instant from = null;
    Instant to = null;
    long start = f.offset;
    long predating = 0;
    try (SegmentFile.Cursor c = new SegmentFile.Cursor(f.path, f.offset, true)) {
      int drop = f.line;
      while (c.position() - start < bytes && c.position() < f.size) {
        boolean counted = c.position() < f.countedTo;
        byte[] block = c.next();
        if (block == null) {
          break;
        }
        String text = new String(block, StandardCharsets.UTF_8);
        long n = 0;
        int index = 0;
        for (int s = 0, e; s < text.length(); s = e + 1) {
          e = lineEnd(text, s);
          if (e > s && index++ >= drop) {
            n++;
            Instant ts = timestamp(text.substring(s, e));
            if (ts != null && notBefore != null && ts.isBefore(notBefore)) {
              predating++;
              continue;
            }
            if (ts != null) {
              from = from == null || ts.isBefore(from) ? ts : from;
              to = to == null || ts.isAfter(to) ? ts : to;
            }
          }
        }
        drop = 0;
        records += n - predating;
        predating = 0;
        f.offset = c.position();
        f.line = 0;
        if (counted) {
          f.pending -= n;
        }
        if (f.offset >= f.countedTo) {
          f.countedTo = f.offset;
          f.pending = 0;
        }
      }
    } catch (NoSuchFileException removed) {
      // noticed by the next refresh
    }
    return new Skip(records, from, to, reason);
  }

  /** Reads the next batch from the counted blocks, file by file in hour order. */
  private Batch read(Instant cutoff, List<Skip> skips) throws IOException {
    int max = sink.maxBatchRecords();
    List<String> out = new ArrayList<>();
    Map<String, SinkCursor.Position> next = new LinkedHashMap<>();
    Map<String, Long> consumed = new HashMap<>();
    long bytes = 0;
    int scanned = 0;
    Instant oldest = null;
    long late = 0;
    Instant lateFrom = null;
    Instant lateTo = null;
    boolean full = false;
    boolean plain = sink.fields().isEmpty() && sink.sampleRate() >= 1.0 && isAll(sink.filter());
    files:
    for (Map.Entry<String, FileState> fe : files.entrySet()) {
      String hour = fe.getKey();
      FileState f = fe.getValue();
      if (f.offset >= f.countedTo) {
        continue;
      }
      long used = 0;
      SegmentFile.Cursor c = null;
      try {
        int drop = f.line;
        long pos = f.offset;
        while (pos < f.countedTo) {
          long blockAt = pos;
          byte[] block;
          Inflated reuse = f.inflated.get(blockAt);
          if (reuse != null) {
            block = reuse.data();
            pos = reuse.end();
          } else {
            if (c == null || c.position() != pos) {
              if (c != null) {
                c.close();
              }
              c = new SegmentFile.Cursor(f.path, pos, true);
            }
            block = c.next();
            if (block == null) {
              break;
            }
            inflations++;
            pos = c.position();
          }
          String text = new String(block, StandardCharsets.UTF_8);
          int index = 0;
          for (int s = 0, e; s < text.length(); s = e + 1) {
            e = lineEnd(text, s);
            if (e == s) {
              continue;
            }
            if (index < drop) {
              index++;
              continue;
            }
            if (out.size() >= max || bytes >= MAX_BATCH_BYTES || scanned >= MAX_SCAN_LINES) {
              next.put(hour, new SinkCursor.Position(blockAt, index));
              consumed.put(hour, used);
              full = true;
              break files;
            }
            index++;
            scanned++;
            used++;
            String line = text.substring(s, e);
            JsonNode node = plain ? null : parse(line);
            Instant ts = node != null ? instant(node.path("ts").asText(null)) : timestamp(line);
            if (ts != null && notBefore != null && ts.isBefore(notBefore)) {
              continue; // before the sink existed
            }
            if (oldest == null) {
              oldest = ts;
            }
            if (ts != null && ts.isBefore(cutoff)) {
              late++;
              lateFrom = lateFrom == null || ts.isBefore(lateFrom) ? ts : lateFrom;
              lateTo = lateTo == null || ts.isAfter(lateTo) ? ts : lateTo;
              continue;
            }
            if (plain) {
              out.add(line);
              bytes += line.length();
            } else if (node != null && matches(node) && sampled(node, line)) {
              String shipped = select(node, line);
              out.add(shipped);
              bytes += shipped.length();
            }
          }
          drop = 0;
          next.put(hour, new SinkCursor.Position(pos, 0));
        }
      } catch (NoSuchFileException removed) {
        continue;
      } finally {
        if (c != null) {
          c.close();
        }
      }
      consumed.put(hour, used);
    }
    boolean more = full;
    for (FileState f : files.values()) {
      more |= f.countedTo < f.size;
    }
    Skip lateSkip = late == 0 ? null : new Skip(late, lateFrom, lateTo, "older than the lag bound of " + sink.maxLag());
    return new Batch(out, next, consumed, skips, lateSkip, oldest, more);
  }

  private static boolean isAll(LogSink.Filter f) {
    return f == null || f.sites().isEmpty() && f.status().isEmpty() && f.cacheStatus().isEmpty();
  }

  private boolean matches(JsonNode r) {
    LogSink.Filter f = sink.filter();
    if (f == null) {
      return true;
    }
    if (!f.sites().isEmpty() && !f.sites().contains(r.path("site").asText())) {
      return false;
    }
    if (!f.cacheStatus().isEmpty() && !f.cacheStatus().contains(r.path("cacheStatus").asText())) {
      return false;
    }
    if (f.status().isEmpty()) {
      return true;
    }
    String code = Integer.toString(r.path("status").asInt());
    for (String s : f.status()) {
      if (s.equals(code) || s.endsWith("xx") && code.length() == 3 && code.charAt(0) == s.charAt(0)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether a record is in the sample: decided by its request id (the line itself when it has none),
   * so a record read again after a failure or a restart is decided the same way.
   */
  private boolean sampled(JsonNode r, String line) {
    double rate = sink.sampleRate();
    if (rate >= 1.0) {
      return true;
    }
    CRC32 crc = new CRC32();
    crc.update(r.path("requestId").asText(line).getBytes(StandardCharsets.UTF_8));
    return crc.getValue() < rate * 4294967296.0;
  }

  /** The line with only the sink's fields, in the sink's order; the stored line when it takes all. */
  private String select(JsonNode r, String line) {
    if (sink.fields().isEmpty()) {
      return line;
    }
    ObjectNode o = Json.MAPPER.createObjectNode();
    for (String f : sink.fields()) {
      JsonNode v = r.get(f);
      if (v != null) {
        o.set(f, v);
      }
    }
    try {
      return Json.MAPPER.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e); // a tree of parsed JSON always writes
    }
  }

  private static JsonNode parse(String line) {
    try {
      JsonNode n = Json.MAPPER.readTree(line);
      return n != null && n.isObject() ? n : null;
    } catch (JsonProcessingException e) {
      return null; // not a record: counted, never shipped
    }
  }

  /** The {@code ts} of a stored line without parsing all of it (records are written with ts first). */
  static Instant timestamp(String line) {
    int at = line.indexOf("\"ts\":\"");
    if (at < 0) {
      return null;
    }
    int end = line.indexOf('"', at + 6);
    return end < 0 ? null : instant(line.substring(at + 6, end));
  }

  private static Instant instant(String text) {
    if (text == null) {
      return null;
    }
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static int lineEnd(String text, int from) {
    int e = text.indexOf('\n', from);
    return e < 0 ? text.length() : e;
  }

  private static long lines(byte[] block) {
    long n = 0;
    boolean inLine = false;
    for (byte b : block) {
      if (b == '\n') {
        if (inLine) {
          n++;
        }
        inLine = false;
      } else {
        inLine = true;
      }
    }
    return inLine ? n + 1 : n;
  }

  /** The start of the hour a file of the cursor holds. */
  static Instant hourStart(String hour) {
    return AccessLogStore.hourOf(Path.of(hour + suffix()));
  }
}
