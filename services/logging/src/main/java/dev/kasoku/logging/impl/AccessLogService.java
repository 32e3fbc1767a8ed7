package dev.kasoku.logging.impl;

import dev.kasoku.common.bus.Messages.AccessLogBatch;
import dev.kasoku.common.bus.Messages.AccessLogRecord;
import dev.kasoku.common.http.Replies;
import dev.kasoku.common.json.Json;
import dev.kasoku.logging.segment.SegmentFile;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Iterator;

/**
 * Stored access logs of this logging instance: intake of the edges' batches, downloads, retention
 * and tenant erasure, each on a worker (the disk is never touched from an event loop).
 *
 * <p>Writes run one at a time on their own single-thread executor, in arrival order; a batch is
 * answered only after {@link AccessLogStore#write} forced it to disk. They are submitted unordered
 * (the single thread keeps their order): an ordered task belongs to the caller's context, and Vert.x
 * interrupts it when that context closes, which would close the segment file's channel mid-write.
 * Downloads read on another
 * executor, so a large download never delays intake, and stream block by block: a download holds one
 * block in memory, and waits while the client's connection is full (back-pressure), whatever the
 * size of the range.
 *
 * <p><b>Resends.</b> An edge sends a batch again when its acknowledgement does not come; a resend of
 * a batch this instance already stored (same node, stream and seq: {@link BatchDedupe}) is answered
 * without being stored again, and counted in {@value #DUPLICATES_METER} (Prometheus
 * {@code kasoku_log_duplicate_batches_total}).
 */
public final class AccessLogService {
  /** How much formatted output one read step produces before it is written to the client. */
  static final int CHUNK_BYTES = 64 * 1024;
  public static final String DUPLICATES_METER = "kasoku.log.duplicate.batches";
  private final Vertx vertx;
  private final AccessLogStore store;
  private final Clock clock;
  private final WorkerExecutor writer;
  private final WorkerExecutor readers;
  /** Touched by the writer only. */
  private final BatchDedupe dedupe = new BatchDedupe();
  private final MeterRegistry registry;
  private final Counter duplicates;

  public AccessLogService(Vertx vertx, Path logDir, Clock clock, MeterRegistry registry) {
    this.vertx = vertx;
    this.store = new AccessLogStore(logDir);
    this.clock = clock;
    this.registry = registry;
    this.duplicates = Counter.builder(DUPLICATES_METER)
        .description("Access-log batches an edge sent again that this logging instance had already stored (dropped)")
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
   */
  public Future<Integer> intake(AccessLogBatch batch) {
    return writer.executeBlocking(() -> {
      if (dedupe.seen(batch)) {
        duplicates.increment();
        return 0;
      }
      int stored = store.write(batch.records(), clock.instant());
      dedupe.stored(batch);
      return stored;
    }, false);
  }

  /** Deletes the files older than the retention; completes with how many. */
  public Future<Integer> sweep(Duration retention) {
    return writer.executeBlocking(() -> store.sweep(clock.instant().minus(retention)), false);
  }

  /** Erases the tenant's stored logs (overwritten, then deleted). */
  public Future<Integer> eraseTenant(String tenant) {
    return writer.executeBlocking(() -> store.eraseTenant(tenant), false);
  }

  public Future<?> close() {
    registry.remove(duplicates);
    return writer.<Void>executeBlocking(() -> {
      store.close();
      return null;
    }, false).eventually(() -> Future.all(writer.close(), readers.close()));
  }

  /** Streams the tenant's records that the query selects, in storage order, hour by hour. */
  public void download(RoutingContext rc, String tenant, LogQuery query) {
    readers.executeBlocking(() -> store.files(tenant, query.from(), query.to()), false).onSuccess(files -> {
      HttpServerResponse resp = rc.response().setChunked(true).setStatusCode(200)
          .putHeader("Content-Type", query.format().contentType)
          .putHeader(Replies.CACHE_CONTROL, Replies.NO_STORE);
      if (query.header() != null) {
        resp.write(query.header());
      }
      new Download(resp, files.iterator(), query).step();
    }).onFailure(rc::fail);
  }

  /** One download's state: the files left, the open cursor; advanced one chunk per step. */
  private final class Download {
    private final HttpServerResponse resp;
    private final Iterator<Path> files;
    private final LogQuery query;
    private SegmentFile.Cursor cursor;
    private volatile boolean gone;

    Download(HttpServerResponse resp, Iterator<Path> files, LogQuery query) {
      this.resp = resp;
      this.files = files;
      this.query = query;
      resp.closeHandler(v -> gone = true);
    }

    void step() {
      readers.executeBlocking(this::nextChunk, false).onSuccess(chunk -> {
        if (chunk == null || gone) {
          closeCursor();
          if (!gone) {
            resp.end();
          }
          return;
        }
        resp.write(chunk);
        if (resp.writeQueueFull()) {
          resp.drainHandler(v -> step());
        } else {
          step();
        }
      }).onFailure(e -> {
        closeCursor();
        // the status is sent: cut the connection so the client sees an incomplete answer, not a short one
        resp.reset();
      });
    }

    /** The next chunk of formatted output, or null when every file is read. */
    private String nextChunk() throws IOException {
      StringBuilder out = new StringBuilder(CHUNK_BYTES + 4096);
      while (out.length() < CHUNK_BYTES && !gone) {
        if (cursor == null) {
          if (!files.hasNext()) {
            break;
          }
          cursor = new SegmentFile.Cursor(files.next());
        }
        byte[] block = cursor.next();
        if (block == null) {
          closeCursor();
          continue;
        }
        String text = new String(block, StandardCharsets.UTF_8);
        for (int start = 0, end; start < text.length(); start = end + 1) {
          end = text.indexOf('\n', start);
          if (end < 0) {
            end = text.length();
          }
          String line = text.substring(start, end);
          if (!line.isEmpty()) {
            AccessLogRecord r = Json.decode(line, AccessLogRecord.class);
            if (query.matches(r)) {
              out.append(query.line(r, line));
            }
          }
        }
      }
      return out.length() == 0 ? null : out.toString();
    }

    private void closeCursor() {
      if (cursor != null) {
        try {
          cursor.close();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        } finally {
          cursor = null;
        }
      }
    }
  }
}
