package dev.kasoku.logging.impl;

import dev.kasoku.common.bus.Messages.AccessLogBatch;
import dev.kasoku.common.bus.Messages.AccessLogRecord;
import dev.kasoku.common.bus.Messages.LogRangeChunk;
import dev.kasoku.common.bus.Messages.LogRangeQuery;
import dev.kasoku.common.json.Json;
import dev.kasoku.logging.segment.SegmentFile;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Stored access logs of this logging instance: intake of the edges' batches, downloads, retention
 * and tenant erasure, each on a worker (the disk is never touched from an event loop).
 *
 * <p>Writes run one at a time on their own single-thread executor, in arrival order, as group
 * commits ({@link #intake}); a batch is answered only after {@link AccessLogStore#write} forced it
 * to disk. They are submitted unordered
 * (the single thread keeps their order): an ordered task belongs to the caller's context, and Vert.x
 * interrupts it when that context closes, which would close the segment file's channel mid-write.
 * Downloads read on another
 * executor, so a large download never delays intake: each step of a download ({@link #range}) reads
 * a bounded run of blocks from a position the step is given, so this instance keeps no state for a
 * download another instance gathers.
 *
 * <p><b>Resends.</b> An edge sends a batch again when its acknowledgement does not come; a resend of
 * a batch this instance already stored (same node, stream and seq: {@link BatchDedupe}) is answered
 * without being stored again, and counted in {@value #DUPLICATES_METER} (Prometheus
 * {@code kasoku_log_duplicate_batches_total}).
 */
public final class AccessLogService {
  public static final String DUPLICATES_METER = "kasoku.log.duplicate.batches";
  public static final String COMMITS_METER = "kasoku.log.commits";
  /** The most records one commit writes; more waiting go in the next. */
  static final int MAX_COMMIT_RECORDS = 50_000;
  private final Vertx vertx;
  private final AccessLogStore store;
  private final Clock clock;
  private final WorkerExecutor writer;
  private final WorkerExecutor readers;
  /** Touched by the writer only. */
  private final BatchDedupe dedupe = new BatchDedupe();
  private final MeterRegistry registry;
  private final Counter duplicates;
  private final Counter commits;
  /** Batches waiting for the writer's next commit, in arrival order; guarded by itself. */
  private final java.util.ArrayDeque<Pending> pending = new java.util.ArrayDeque<>();
  /** A commit task is queued on the writer or running and will take what is pending; guarded by {@link #pending}. */
  private boolean commitScheduled;

  public AccessLogService(Vertx vertx, Path logDir, Clock clock, MeterRegistry registry) {
    this.vertx = vertx;
    this.store = new AccessLogStore(logDir);
    this.clock = clock;
    this.registry = registry;
    this.duplicates = Counter.builder(DUPLICATES_METER)
        .description("Access-log batches an edge sent again that this logging instance had already stored (dropped)")
        .register(registry);
    this.commits = Counter.builder(COMMITS_METER)
        .description("Group commits of this logging instance's access-log writer: one write and one force per file for every batch waiting")
        .register(registry);
    this.writer = vertx.createSharedWorkerExecutor("kasoku-logging-writer", 1);
    this.readers = vertx.createSharedWorkerExecutor("kasoku-logging-readers", 2);
  }

  /** Checks and repairs the stored files; completes before the first batch is taken in. */
  public Future<AccessLogStore.Recovered> recover() {
    return writer.executeBlocking(store::recoverAll, false);
  }

  /**
   * Stores a batch durably; completes with the number of records stored once they are on disk (0
   * for a resend of a batch stored before, which is dropped).
   *
   * <p><b>Group commit.</b> Batches that arrive while the writer is busy wait for its next commit,
   * which writes all of them (up to {@link #MAX_COMMIT_RECORDS} records) in one
   * {@link AccessLogStore#writeAll} with one force per file, and answers each once that
   * force returned. A lone batch is committed at once, so a quiet instance answers within one write
   * and force; a busy one spreads each force over every batch that came in during the last one,
   * instead of queueing a force per batch behind each other.
   */
  public Future<Integer> intake(AccessLogBatch batch) {
    Promise<Integer> answer = Promise.promise();
    Context caller = vertx.getOrCreateContext();
    boolean schedule;
    synchronized (pending) {
      pending.add(new Pending(batch, answer, caller));
      schedule = !commitScheduled;
      commitScheduled = true;
    }
    if (schedule) {
      scheduleCommit();
    }
    return answer.future();
  }

  private void scheduleCommit() {
    writer.<Void>executeBlocking(() -> {
      commit();
      return null;
    }, false);
  }

  /** A batch waiting for a commit, with its answer and the context the answer is given on. */
  private record Pending(AccessLogBatch batch, Promise<Integer> answer, Context caller) {
    void answer(int stored) {
      caller.runOnContext(v -> answer.complete(stored));
    }

    void fail(Throwable t) {
      caller.runOnContext(v -> answer.fail(t));
    }
  }

  /** On the writer thread: takes what is pending (up to the commit size) and stores it in one write. */
  private void commit() {
    List<Pending> group = new ArrayList<>();
    boolean more;
    synchronized (pending) {
      int records = 0;
      while (!pending.isEmpty() && (group.isEmpty() || records + pending.peek().batch().records().size()
          <= MAX_COMMIT_RECORDS)) {
        Pending p = pending.poll();
        records += p.batch().records().size();
        group.add(p);
      }
      more = !pending.isEmpty();
      commitScheduled = more; // what is left goes in the next commit, queued behind this one
    }
    if (more) {
      scheduleCommit();
    }
    if (group.isEmpty()) {
      return;
    }
    // a resend of a batch stored earlier is dropped; so is a second copy within this commit
    List<List<AccessLogRecord>> toStore = new ArrayList<>(group.size());
    int[] slot = new int[group.size()];
    java.util.Set<String> inCommit = new java.util.HashSet<>();
    for (int i = 0; i < group.size(); i++) {
      AccessLogBatch b = group.get(i).batch();
      if (dedupe.seen(b)) {
        slot[i] = -1;
      } else if (b.stream() != null && !inCommit.add(b.batchId())) {
        slot[i] = -2;
      } else {
        slot[i] = toStore.size();
        toStore.add(b.records());
      }
    }
    int[] stored;
    try {
      stored = toStore.isEmpty() ? new int[0] : store.writeAll(toStore, clock.instant());
    } catch (IOException | RuntimeException e) {
      for (int i = 0; i < group.size(); i++) {
        if (slot[i] == -1) {
          duplicates.increment();
          group.get(i).answer(0); // stored by an earlier commit
        } else {
          group.get(i).fail(e);
        }
      }
      return;
    }
    commits.increment();
    for (int i = 0; i < group.size(); i++) {
      Pending p = group.get(i);
      if (slot[i] < 0) {
        duplicates.increment();
        p.answer(0);
      } else {
        dedupe.stored(p.batch());
        p.answer(stored[slot[i]]);
      }
    }
  }

  /**
   * {@link #select} for NDJSON, whose lines go out as stored: each line is scanned for the five
   * fields the query tests (ts, tenant, site, status, cacheStatus) with Jackson's streaming parser,
   * which skips the others without decoding them, instead of being bound to a record; only a
   * selected line becomes a String. A download of every line of an hour spent most of its time
   * binding records it then only wrote back as they were.
   */
  private static long selectLines(byte[] block, String tenant, LogQuery query, List<String> lines, List<Long> ts) {
    long added = 0;
    for (int start = 0, end; start < block.length; start = end + 1) {
      end = start;
      while (end < block.length && block[end] != '\n') {
        end++;
      }
      if (end == start) {
        continue;
      }
      LineFields f = LineFields.of(block, start, end - start);
      // a tenant's directory holds its records only; checked again so no other line can leak
      if (tenant.equals(f.tenant) && f.ts != null && query.matches(f.ts, f.site, f.cacheStatus, f.status)) {
        // the line with its '\n' in one copy (a block's last line may lack it)
        String out = end < block.length ? new String(block, start, end - start + 1, StandardCharsets.UTF_8)
            : new String(block, start, end - start, StandardCharsets.UTF_8) + "\n";
        lines.add(out);
        ts.add(f.ts.toEpochMilli());
        added += out.length();
      }
    }
    return added;
  }

  /** The fields of a stored line a query is tested on. */
  private static final class LineFields {
    Instant ts;
    String tenant;
    String site;
    String cacheStatus;
    int status;

    static LineFields of(byte[] block, int offset, int length) {
      LineFields f = new LineFields();
      try (JsonParser p = Json.MAPPER.getFactory().createParser(block, offset, length)) {
        if (p.nextToken() != JsonToken.START_OBJECT) {
          throw new IOException("not a JSON object");
        }
        // the rest of the line (times, user agent, referer, node, request id) is not read once all five are
        for (int found = 0; found < 5 && p.nextToken() == JsonToken.FIELD_NAME; found++) {
          String name = p.currentName();
          JsonToken v = p.nextToken();
          switch (name) {
            case "ts" -> f.ts = v == JsonToken.VALUE_STRING
                ? Instant.ofEpochMilli(dev.kasoku.common.json.Timestamps.parseMillis(p.getText())) : null;
            case "tenant" -> f.tenant = p.getValueAsString();
            case "site" -> f.site = p.getValueAsString();
            case "cacheStatus" -> f.cacheStatus = p.getValueAsString();
            case "status" -> f.status = p.getValueAsInt();
            default -> {
              p.skipChildren();
              found--; // not one of the five
            }
          }
        }
      } catch (IOException | java.time.DateTimeException e) {
        throw new java.io.UncheckedIOException(new IOException("unreadable stored access-log line: " + e.getMessage(), e));
      }
      return f;
    }
  }

  /** The tenants that have stored logs on this instance. */
  public Future<List<String>> tenants() {
    return readers.executeBlocking(store::tenants, false);
  }

  /**
   * Deletes each tenant's hour files older than its retention ({@code retentionByTenant}, or
   * {@code otherwise}); completes with how many.
   */
  public Future<Integer> sweep(Map<String, Duration> retentionByTenant, Duration otherwise) {
    return writer.executeBlocking(() -> {
      Instant now = clock.instant();
      Map<String, Instant> before = new HashMap<>();
      retentionByTenant.forEach((t, r) -> before.put(t, now.minus(r)));
      return store.sweep(before, now.minus(otherwise));
    }, false);
  }

  /** Erases the tenant's stored logs (overwritten, then deleted). */
  public Future<Integer> eraseTenant(String tenant) {
    return writer.executeBlocking(() -> store.eraseTenant(tenant), false);
  }

  public Future<?> close() {
    registry.remove(duplicates);
    registry.remove(commits);
    return writer.<Void>executeBlocking(() -> {
      store.close();
      return null;
    }, false).eventually(() -> Future.all(writer.close(), readers.close()));
  }

  /**
   * Streams the tenant's records that the query selects, gathered from this instance ({@code self})
   * and every registered instance that may hold some of them, merged by time
   * ({@link GatheredDownload}); gzip-compressed when the request's Accept-Encoding allows it.
   *
   * @param registered the logging instances of the store's registry, each with when it was last seen
   * @param heartbeat how often instances renew their registration
   */
  public void download(RoutingContext rc, String tenant, LogQuery query, Map<String, Instant> registered,
                       Duration heartbeat, String self) {
    List<String> instances = GatheredDownload.instancesFor(registered, query.from(), heartbeat, self);
    boolean gzip = GatheredDownload.acceptsGzip(rc.request().getHeader("Accept-Encoding"));
    new GatheredDownload(vertx, readers, rc, tenant, query, instances, gzip).start();
  }

  /**
   * This instance's answer to one step of a gathered download: about {@code q.maxBytes()} of the
   * tenant's formatted lines from the position the query carries, read on a reader thread.
   */
  public Future<LogRangeChunk> range(String instance, LogRangeQuery q) {
    return readers.executeBlocking(() -> readRange(instance, q), false);
  }

  private LogRangeChunk readRange(String instance, LogRangeQuery q) throws IOException {
    LogQuery query = LogQuery.of(q);
    List<Path> files = store.files(q.tenant(), q.from(), q.to());
    List<String> lines = new ArrayList<>();
    List<Long> ts = new ArrayList<>();
    int i = 0;
    long pos = 0;
    if (q.hour() != null) {
      while (i < files.size() && hourName(files.get(i)).compareTo(q.hour()) < 0) {
        i++;
      }
      if (i < files.size() && hourName(files.get(i)).equals(q.hour())) {
        pos = q.position();
      }
    }
    long bytes = 0;
    for (; i < files.size(); i++, pos = 0) {
      try (SegmentFile.Cursor cursor = new SegmentFile.Cursor(files.get(i), pos, false)) {
        for (byte[] block = cursor.next(); block != null; block = cursor.next()) {
          bytes += select(block, q.tenant(), query, lines, ts);
          if (bytes >= q.maxBytes()) {
            return new LogRangeChunk(instance, lines, ts, hourName(files.get(i)), cursor.position(), false);
          }
        }
      } catch (NoSuchFileException e) {
        // erased meanwhile (retention or tenant erasure): nothing left to read in it
      }
    }
    return new LogRangeChunk(instance, lines, ts, null, 0, true);
  }

  /** Adds the block's selected records, formatted, to {@code lines}; returns the characters added. */
  private static long select(byte[] block, String tenant, LogQuery query, List<String> lines, List<Long> ts) {
    if (query.format() == LogQuery.Format.NDJSON) {
      return selectLines(block, tenant, query, lines, ts);
    }
    String text = new String(block, StandardCharsets.UTF_8);
    long added = 0;
    for (int start = 0, end; start < text.length(); start = end + 1) {
      end = text.indexOf('\n', start);
      if (end < 0) {
        end = text.length();
      }
      String line = text.substring(start, end);
      if (!line.isEmpty()) {
        AccessLogRecord r = Json.decode(line, AccessLogRecord.class);
        // a tenant's directory holds its records only; checked again so no other line can leak
        if (tenant.equals(r.tenant()) && query.matches(r)) {
          String out = query.line(r, line);
          lines.add(out);
          ts.add(r.ts().toEpochMilli());
          added += out.length();
        }
      }
    }
    return added;
  }

  private static String hourName(Path segment) {
    String name = segment.getFileName().toString();
    return name.substring(0, name.indexOf('.'));
  }
}
