package dev.kasoku.cacheedge.telemetry;

import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages.AccessLogBatch;
import dev.kasoku.common.bus.Messages.AccessLogRecord;
import dev.kasoku.common.time.Ticker;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * One edge verticle's side of the acknowledged access-log hand-off, modelled on {@link DeltaOutbox}:
 * records are batched, each batch numbered (this verticle's stream id, a sequence from 1) and kept
 * until a logging instance replies that it is on its disk. A batch whose reply does not come (no
 * logging instance, a refusal, a lost message, a timeout) is sent again, to whichever instance the
 * bus picks; a logging instance drops a resend of a batch it already stored.
 *
 * <p><b>Bounded.</b> The records waiting here (sealed batches and the batch being filled) hold at
 * most this verticle's share of {@code KASOKU_EDGE_LOG_BUFFER}, measured as an approximate heap size
 * ({@link #estimate}); past it the oldest batches are dropped, counted and announced to their tenants
 * ({@link LogShipping}). A dropped batch may still have been stored if its request was in flight:
 * dropped means given up on, not known to be lost.
 *
 * <p>At most {@link #MAX_IN_FLIGHT} batches are in flight at once (oldest first), so a logging
 * instance that returns after an outage gets the backlog at the pace it acknowledges it, not all at
 * once; each acknowledgement sends the next. Failed batches wait for the next {@link #pump} (the
 * telemetry flush timer). {@link #add} never waits for anything: it is on the request path. Used from
 * one event loop only.
 */
final class LogOutbox {
  private static final System.Logger LOG = System.getLogger(LogOutbox.class.getName());
  /** Batches in flight at once. */
  static final int MAX_IN_FLIGHT = 8;
  /** Heap of a record besides its strings: the record, its Instant, the list slot, string headers. */
  static final long RECORD_OVERHEAD = 400;
  /** How often a stopping edge sends again what was not acknowledged. */
  static final long DRAIN_TICK_MS = 50;

  private final Vertx vertx;
  private final LogShipping shipping;
  private final String node;
  private final String stream;
  private final Clock clock;
  private final Ticker ticker;
  private final long maxBytes;
  private final int batchRecords;
  private final DeliveryOptions delivery;
  private final Deque<Pending> pending = new ArrayDeque<>();
  private List<AccessLogRecord> filling;
  private long fillingBytes;
  private long bytes;
  private long seq;
  private int inFlight;

  /** One sealed batch and its state. */
  private static final class Pending {
    final AccessLogBatch batch;
    final long bytes;
    boolean inFlight;
    boolean done;
    /** An attempt timed out: it may have been stored by an instance whose answer was lost. */
    boolean timedOut;

    Pending(AccessLogBatch batch, long bytes) {
      this.batch = batch;
      this.bytes = bytes;
    }
  }

  LogOutbox(Vertx vertx, LogShipping shipping, String node, String stream, Clock clock, Ticker ticker,
            int batchRecords, long ackTimeoutMs) {
    this.vertx = vertx;
    this.shipping = shipping;
    this.node = node;
    this.stream = stream;
    this.clock = clock;
    this.ticker = ticker;
    this.maxBytes = shipping.perInstanceBytes();
    this.batchRecords = batchRecords;
    // sized for a full batch: a busy edge fills one without regrowing the list
    this.filling = new ArrayList<>(batchRecords);
    this.delivery = new DeliveryOptions().setSendTimeout(ackTimeoutMs);
  }

  /** Approximate heap a record holds (its strings are Latin-1 or UTF-16: counted as two bytes a char). */
  static long estimate(AccessLogRecord r) {
    return RECORD_OVERHEAD + 2L * (len(r.tenant()) + len(r.site()) + len(r.host()) + len(r.clientIp())
        + len(r.method()) + len(r.path()) + len(r.protocol()) + len(r.contentType()) + len(r.tlsVersion())
        + len(r.range()) + len(r.cacheStatus()) + len(r.userAgent()) + len(r.referer()) + len(r.node())
        + len(r.requestId()));
  }

  private static int len(String s) {
    return s == null ? 0 : s.length();
  }

  /** Takes one record (never blocks); a full batch is sealed and sent. */
  void add(AccessLogRecord r) {
    long b = estimate(r);
    filling.add(r);
    fillingBytes += b;
    bytes += b;
    shipping.buffered(b, 1);
    trim();
    if (filling.size() >= batchRecords) {
      seal();
    }
  }

  /** Seals the batch being filled (if any) and sends what may be sent. */
  void seal() {
    if (!filling.isEmpty()) {
      pending.addLast(new Pending(new AccessLogBatch(node, stream, ++seq, 0, null, filling), fillingBytes));
      filling = new ArrayList<>(batchRecords);
      fillingBytes = 0;
    }
    pump();
  }

  /** Drops the oldest records while more than the bound wait. */
  private void trim() {
    while (bytes > maxBytes) {
      Pending old = pending.pollFirst();
      if (old != null) {
        old.done = true;
        release(old.bytes, old.batch.records().size());
        shipping.dropped(old.batch.records(), reason());
      } else if (!filling.isEmpty()) {
        AccessLogRecord r = filling.remove(0);
        long b = estimate(r);
        fillingBytes -= b;
        release(b, 1);
        shipping.dropped(List.of(r), reason());
      } else {
        return;
      }
    }
  }

  private String reason() {
    return "its access-log buffer (KASOKU_EDGE_LOG_BUFFER, " + maxBytes + " bytes per event loop) was full while no"
        + " logging instance acknowledged them";
  }

  private void release(long b, int records) {
    bytes -= b;
    shipping.buffered(-b, -records);
  }

  /** Sends the oldest waiting batches that have no request in flight, up to {@link #MAX_IN_FLIGHT}. */
  void pump() {
    if (pending.isEmpty()) {
      return;
    }
    long floor = pending.peekFirst().batch.seq();
    for (Pending p : pending) {
      if (inFlight >= MAX_IN_FLIGHT) {
        return;
      }
      if (!p.inFlight) {
        send(p, floor);
      }
    }
  }

  private void send(Pending p, long floor) {
    p.inFlight = true;
    inFlight++;
    AccessLogBatch copy = p.batch.withFloor(floor).sentAt(clock.instant());
    Addresses.LOG_ACCESS.request(vertx.eventBus(), copy, delivery).onComplete(ar -> {
      p.inFlight = false;
      inFlight--;
      if (p.done) {
        return; // dropped past the bound while in flight
      }
      if (ar.succeeded()) {
        p.done = true;
        pending.remove(p);
        release(p.bytes, p.batch.records().size());
        if (p.timedOut) {
          shipping.possibleDuplicate();
        }
        shipping.delivered();
        pump();
      } else {
        if (ar.cause() instanceof ReplyException re && re.failureType() == ReplyFailure.TIMEOUT) {
          p.timedOut = true;
        }
        LOG.log(Level.DEBUG, "access-log batch {0} not acknowledged, resent later: {1}", p.batch.batchId(),
            ar.cause().getMessage());
      }
    });
  }

  /** Records not acknowledged yet (sealed or being filled). */
  int pendingRecords() {
    int n = filling.size();
    for (Pending p : pending) {
      n += p.batch.records().size();
    }
    return n;
  }

  /** Sealed batches not acknowledged yet. */
  int pendingBatches() {
    return pending.size();
  }

  /** Approximate heap this outbox's records hold. */
  long bytes() {
    return bytes;
  }

  /**
   * The edge stops: seals and sends everything, and waits up to {@code timeoutMs} for the
   * acknowledgements (sending again what failed every {@link #DRAIN_TICK_MS}); what is still
   * unacknowledged then is dropped, counted and announced.
   */
  Future<Void> drain(long timeoutMs) {
    seal();
    Promise<Void> done = Promise.promise();
    long deadline = ticker.read() + timeoutMs * 1_000_000;
    vertx.setPeriodic(1, DRAIN_TICK_MS, id -> {
      if (pending.isEmpty() || ticker.read() - deadline >= 0) {
        vertx.cancelTimer(id);
        List<AccessLogRecord> lost = new ArrayList<>();
        for (Pending p : pending) {
          p.done = true;
          release(p.bytes, p.batch.records().size());
          lost.addAll(p.batch.records());
        }
        pending.clear();
        shipping.dropped(lost, "the edge stopped before a logging instance acknowledged them");
        done.complete();
      } else {
        pump();
      }
    });
    return done.future();
  }
}
