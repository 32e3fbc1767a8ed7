package dev.kasoku.logging.sink;

import dev.kasoku.common.json.Json;
import dev.kasoku.common.json.Timestamps;
import dev.kasoku.common.model.Ids;
import dev.kasoku.common.model.Notification;
import dev.kasoku.common.store.Store;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ships one sink's records stored on this logging instance: one round after another, each reading
 * the next batch behind the sink's cursor ({@link SinkReader}, on a worker), sending it
 * ({@link Transport}), and only once the receiver accepted it moving the cursor and storing it.
 *
 * <p><b>At least once.</b> The cursor in the store is always at or behind what the receiver
 * accepted: a crash, a restart or a failed delivery resends from there, so a record can arrive twice
 * (the batch that was out when it happened) but is never lost while it is within the lag bound. A
 * failed batch is read again and resent after a backoff (doubling from {@link SinkSettings#retryMin}
 * to {@link SinkSettings#retryMax}, each wait drawn between half and all of it, so sinks that failed
 * together do not retry together); one the receiver refuses for good waits
 * {@link SinkSettings#misconfiguredRetry} between attempts and marks the sink misconfigured.
 *
 * <p><b>Pace.</b> A full batch is followed by the next one at once; otherwise the next round waits
 * the sink's period, so a record reaches a healthy receiver within about one period.
 *
 * <p>Runs on the context that started it; every field is touched there or, inside a round, by the
 * worker while the context waits for it.
 */
final class Shipper {
  private static final System.Logger LOG = System.getLogger(Shipper.class.getName());
  private final Vertx vertx;
  private final WorkerExecutor worker;
  private final Store store;
  private final String tenant;
  private final LogSink sink;
  private final String instance;
  private final Transport transport;
  private final SinkReader reader;
  private final Clock clock;
  private final SinkSettings settings;
  private final SinkMeters meters;

  private long delivered;
  private long skipped;
  private Instant lastSuccessAt;
  private String lastError;
  private Instant lastErrorAt;
  private boolean misconfigured;
  private int failures;
  private long lagRecords;
  private double lagSeconds;
  private long lagBytes;
  private boolean stopped;
  private long timer = -1;
  private long lastPersistMs;
  private boolean persisting;
  private String pendingPersist;

  Shipper(Vertx vertx, WorkerExecutor worker, Store store, String tenant, LogSink sink, String instance,
          Transport transport, SinkReader reader, Clock clock, SinkSettings settings, SinkMeters meters) {
    this.vertx = vertx;
    this.worker = worker;
    this.store = store;
    this.tenant = tenant;
    this.sink = sink;
    this.instance = instance;
    this.transport = transport;
    this.reader = reader;
    this.clock = clock;
    this.settings = settings;
    this.meters = meters;
  }

  LogSink sink() {
    return sink;
  }

  double lagSeconds() {
    return lagSeconds;
  }

  /** Restores the stored cursor (or starts a new one and stores it at once), then starts the rounds. */
  Future<Void> start(SinkCursor stored) {
    if (stored != null) {
      delivered = stored.delivered();
      skipped = stored.skipped();
      lastSuccessAt = stored.lastSuccessAt();
      lastError = stored.lastError();
      lastErrorAt = stored.lastErrorAt();
      misconfigured = stored.misconfigured();
    }
    Instant now = clock.instant();
    return worker.<Void>executeBlocking(() -> {
      reader.open(stored, now);
      return null;
    }, false).onSuccess(v -> {
      if (stored == null) {
        persist(true); // a restart must resume from here, not from wherever the files end then
      }
      schedule(0);
    });
  }

  void stop() {
    stopped = true;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
    transport.close().onFailure(e -> LOG.log(System.Logger.Level.DEBUG, "closing sink " + name() + ": " + e));
  }

  private void schedule(long delayMs) {
    if (stopped) {
      return;
    }
    timer = vertx.setTimer(Math.max(1, delayMs), id -> {
      timer = -1;
      round();
    });
  }

  private record Round(SinkReader.Batch batch, Buffer encoded) {}

  private void round() {
    if (stopped) {
      return;
    }
    Instant now = clock.instant();
    worker.executeBlocking(() -> {
      SinkReader.Batch b = reader.next(now);
      return new Round(b, b.lines().isEmpty() ? null : transport.encode(b.lines()));
    }, false).onComplete(ar -> {
      if (stopped) {
        return;
      }
      if (ar.failed()) {
        failed(now, SinkException.retry("reading the stored log: " + ar.cause().getMessage()));
        return;
      }
      SinkReader.Batch batch = ar.result().batch();
      announce(batch.skipped(), now);
      lag(batch, now);
      if (ar.result().encoded() == null) {
        reader.commit(batch);
        announceLate(batch, now);
        lagAfter(batch);
        boolean moved = batch.consumed().values().stream().anyMatch(n -> n > 0);
        persist(moved || !batch.skipped().isEmpty() || batch.lateSkip() != null);
        schedule(batch.more() ? 0 : period());
        return;
      }
      transport.send(ar.result().encoded()).onComplete(sent -> {
        if (stopped) {
          return;
        }
        if (sent.failed()) {
          failed(now, sent.cause());
          return;
        }
        reader.commit(batch);
        int n = batch.lines().size();
        delivered += n;
        meters.delivered(n);
        lastSuccessAt = clock.instant();
        failures = 0;
        misconfigured = false;
        announceLate(batch, now);
        lagAfter(batch);
        persist(true);
        schedule(batch.more() ? 0 : period());
      });
    });
  }

  private void failed(Instant now, Throwable cause) {
    SinkException e = cause instanceof SinkException se ? se : SinkException.retry(String.valueOf(cause));
    failures++;
    misconfigured = e.misconfigured();
    lastError = e.getMessage();
    lastErrorAt = now;
    meters.error();
    if (failures == 1 || failures % 10 == 0) {
      LOG.log(System.Logger.Level.WARNING, "log sink " + name() + ": batch not accepted (attempt " + failures + "): "
          + e.getMessage());
    }
    persist(failures == 1);
    schedule(backoffMs());
  }

  /** The wait before the next attempt at a failed batch (see the class comment). */
  long backoffMs() {
    long base;
    if (misconfigured) {
      base = settings.misconfiguredRetry().toMillis();
    } else {
      int doublings = Math.min(30, failures - 1);
      base = Math.min(settings.retryMax().toMillis(), settings.retryMin().toMillis() << doublings);
      if (base <= 0) {
        base = settings.retryMax().toMillis();
      }
    }
    return base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1);
  }

  private long period() {
    Duration p = sink.periodValue();
    return p == null ? SinkDocuments.DEFAULT_PERIOD.toMillis() : p.toMillis();
  }

  private void lag(SinkReader.Batch batch, Instant now) {
    SinkReader.Lag lag = reader.lag();
    lagRecords = lag.records();
    lagBytes = lag.bytes();
    lagSeconds = batch.oldest() == null ? 0 : Math.max(0, Duration.between(batch.oldest(), now).toMillis() / 1000.0);
  }

  private void lagAfter(SinkReader.Batch batch) {
    SinkReader.Lag lag = reader.lag();
    lagRecords = lag.records();
    lagBytes = lag.bytes();
    if (lagRecords == 0) {
      lagSeconds = 0;
    }
  }

  private void announce(java.util.List<SinkReader.Skip> skips, Instant now) {
    for (SinkReader.Skip s : skips) {
      announce(s, now);
    }
  }

  private void announceLate(SinkReader.Batch batch, Instant now) {
    if (batch.lateSkip() != null) {
      announce(batch.lateSkip(), now);
    }
  }

  /** Counts records given up and tells the tenant: the window, the count and why. */
  private void announce(SinkReader.Skip s, Instant now) {
    skipped += s.records();
    meters.skipped(s.records());
    String window = s.from() == null ? "" : " from " + Timestamps.format(s.from()) + " to " + Timestamps.format(s.to());
    String message = "log sink " + sink.name() + " skipped " + s.records() + " records" + window + " stored on logging"
        + " instance " + instance + ": " + s.reason();
    LOG.log(System.Logger.Level.WARNING, "tenant " + tenant + ": " + message);
    store.notifications().append(new Notification(Ids.random(20), tenant, now, "log.dropped", message))
        .onFailure(e -> LOG.log(System.Logger.Level.ERROR, "tenant " + tenant + ": notification of skipped log"
            + " records not stored (" + message + "): " + e));
  }

  /**
   * Stores the cursor and health: always when {@code force} (an accepted batch), else at most every
   * {@link SinkSettings#healthEvery}. One write at a time; a later snapshot replaces one waiting.
   */
  private void persist(boolean force) {
    long nowMs = clock.millis();
    if (!force && nowMs - lastPersistMs < settings.healthEvery().toMillis()) {
      return;
    }
    lastPersistMs = nowMs;
    String json = Json.encode(new SinkCursor(reader.floor(), reader.positions(), delivered, skipped, lastSuccessAt,
        lastError, lastErrorAt, misconfigured, lagRecords, lagSeconds, lagBytes, clock.instant()));
    if (persisting) {
      pendingPersist = json;
      return;
    }
    write(json);
  }

  private void write(String json) {
    persisting = true;
    store.logSinks().putCursor(tenant, sink.id(), instance, json).onComplete(ar -> {
      persisting = false;
      if (ar.succeeded() && !ar.result()) {
        LOG.log(System.Logger.Level.INFO, "log sink " + name() + " is no longer listed: stopping");
        stop();
        return;
      }
      if (ar.failed()) {
        // the cursor stays behind: a restart resends what was delivered since (duplicates, never loss)
        LOG.log(System.Logger.Level.WARNING, "log sink " + name() + ": cursor not stored: " + ar.cause());
      }
      String next = pendingPersist;
      pendingPersist = null;
      if (next != null && !stopped) {
        write(next);
      }
    });
  }

  private String name() {
    return tenant + "/" + sink.name();
  }
}
