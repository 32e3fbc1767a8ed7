package dev.kasoku.cacheedge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.cacheedge.telemetry.EdgeTelemetry;
import dev.kasoku.cacheedge.testing.EdgeHarness;
import dev.kasoku.cacheedge.testing.TestOrigin;
import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages;
import dev.kasoku.common.stats.LatencySketch;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.FakeTicker;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Access-log records and counter deltas leave in batches on the bus, each numbered in its sender's
 * stream; access-log batches are kept until a consumer acknowledges them, within a bound past which
 * the oldest are dropped, counted and announced to their tenant.
 */
class TelemetryTest {
  private EdgeHarness h;

  @AfterEach
  void tearDown() {
    h.close();
  }

  @Test
  void eachRequestProducesOneAccessLogRecordAndCounterDeltas() {
    h = new EdgeHarness();
    List<Messages.AccessLogRecord> records = new CopyOnWriteArrayList<>();
    Promise<Messages.CounterDeltas> deltas = Promise.promise();
    Await.result(h.vertx.eventBus().<Messages.AccessLogBatch>consumer(Addresses.LOG_ACCESS.address(), m -> {
      records.addAll(m.body().records());
      m.reply(null);
    }).completion());
    Await.result(h.vertx.eventBus().<Messages.CounterDeltas>consumer(Addresses.METRICS_EDGE.address(), m -> {
      deltas.tryComplete(m.body());
      m.reply(null);
    }).completion());
    TestOrigin origin = h.origin().respond(200, "x", "Cache-Control", "max-age=60");
    h.site("t.example.com", origin, null);

    h.get("t.example.com", "/one");
    h.get("t.example.com", "/one");
    h.send(io.vertx.core.http.HttpMethod.POST, "t.example.com", "/form", io.vertx.core.buffer.Buffer.buffer("0123456789"));
    Messages.CounterDeltas d = Await.result(deltas.future());

    assertThat(records).extracting(Messages.AccessLogRecord::cacheStatus).containsExactly("miss", "hit", "pass");
    assertThat(records.get(0).tenant()).isEqualTo(EdgeHarness.TENANT);
    assertThat(records.get(0).status()).isEqualTo(200);
    assertThat(records.get(0).path()).isEqualTo("/one");
    assertThat(d.seq()).as("the first batch of this sender").isEqualTo(1);
    assertThat(d.stream()).startsWith(d.node() + ".");
    assertThat(d.rows()).anySatisfy(r -> {
      assertThat(r.counters().get("requests")).isEqualTo(3L);
      assertThat(r.counters().get("hits")).isEqualTo(1L);
      assertThat(r.counters().get("misses")).isEqualTo(1L);
      assertThat(r.counters().get("pass")).isEqualTo(1L);
      assertThat(r.counters().get("status2xx")).isEqualTo(3L);
      assertThat(r.counters().get("originRequests")).isEqualTo(2L);
      assertThat(r.counters().get("bytesIn")).as("the request body's bytes").isEqualTo(10L);
      assertThat(r.counters().get("hitBytes")).isEqualTo(1L);
      assertThat(r.edgeMs().values().stream().mapToLong(Long::longValue).sum()).as("one sample per request")
          .isEqualTo(3);
      assertThat(r.originMs().values().stream().mapToLong(Long::longValue).sum()).as("one per origin fetch")
          .isEqualTo(2);
    });
  }

  /**
   * A window's latency sketch counts each request under its bucket's index: with the ticker frozen
   * every request takes 0 ms, the zero bucket, whose index is below the others'.
   */
  @Test
  void aWindowsLatencySketchCountsEachRequestUnderItsBucketIndex() {
    h = new EdgeHarness(s -> s, false, new FakeTicker());
    // the ticker never moves: the stop at the end drains only what is acknowledged
    Await.result(Addresses.LOG_ACCESS.consumer(h.vertx.eventBus(), m -> m.reply(m.body().records().size()))
        .completion());
    Promise<Messages.CounterDeltas> deltas = Promise.promise();
    Await.result(h.vertx.eventBus().<Messages.CounterDeltas>consumer(Addresses.METRICS_EDGE.address(), m -> {
      if (!m.body().rows().isEmpty()) {
        deltas.tryComplete(m.body());
      }
      m.reply(null);
    }).completion());
    TestOrigin origin = h.origin().respond(200, "x", "Cache-Control", "max-age=60");
    h.site("z.example.com", origin, null);
    for (int i = 0; i < 4; i++) {
      h.get("z.example.com", "/z");
    }
    Messages.CounterDeltas d = Await.result(deltas.future());
    assertThat(d.rows()).singleElement().satisfies(r -> {
      assertThat(r.edgeMs()).isEqualTo(java.util.Map.of(LatencySketch.ZERO_INDEX, 4L));
      assertThat(r.originMs()).isEqualTo(java.util.Map.of(LatencySketch.ZERO_INDEX, 1L));
    });
  }

  /**
   * A graceful stop hands over the last window's counters and waits until they are acknowledged: a
   * metrics instance refuses the first delivery of every batch (its store blinked), so only a resend
   * during the stop gets the last window folded, before the undeploy completes.
   */
  @Test
  void aStoppingEdgeWaitsUntilItsLastCounterDeltasAreAcknowledged() {
    h = new EdgeHarness();
    java.util.Set<Long> refusedOnce = java.util.concurrent.ConcurrentHashMap.newKeySet();
    List<Messages.CounterDeltas> acknowledged = new CopyOnWriteArrayList<>();
    Await.result(h.vertx.eventBus().<Messages.CounterDeltas>consumer(Addresses.METRICS_EDGE.address(), m -> {
      if (refusedOnce.add(m.body().seq())) {
        m.fail(503, "store unavailable");
      } else {
        acknowledged.add(m.body());
        m.reply(null);
      }
    }).completion());
    TestOrigin origin = h.origin().respond(200, "x", "Cache-Control", "max-age=60");
    h.site("t.example.com", origin, null);
    for (int i = 0; i < 5; i++) {
      h.get("t.example.com", "/s" + i);
    }
    Await.result(h.stopEdge());
    long requests = acknowledged.stream().flatMap(d -> d.rows().stream())
        .mapToLong(r -> r.counters().getOrDefault("requests", 0L)).sum();
    assertThat(requests).as("requests in acknowledged batches when the undeploy completed").isEqualTo(5);
  }

  @Test
  void eachBatchCarriesItsSenderStreamSequenceAndSendTimeAndTheRecordsTheNewFields() {
    h = new EdgeHarness(s -> s, true);
    List<Messages.AccessLogBatch> batches = new CopyOnWriteArrayList<>();
    Await.result(Addresses.LOG_ACCESS.consumer(h.vertx.eventBus(), m -> {
      batches.add(m.body());
      m.reply(m.body().records().size());
    }).completion());
    TestOrigin origin = h.origin().respond(200, "0123456789", "Cache-Control", "max-age=60", "Content-Type",
        "text/plain; charset=utf-8");
    h.site("f.example.com", origin, null);

    h.get("f.example.com", "/ranged", "Range", "bytes=0-3");
    // the first batch leaves with the flush timer
    await(() -> batches.size() >= 1);
    h.send(io.vertx.core.http.HttpMethod.POST, "f.example.com", "/form", io.vertx.core.buffer.Buffer.buffer("abcdefg"));
    await(() -> batches.size() >= 2);
    assertThat(h.raw("GET /secure HTTP/1.1\r\nHost: f.example.com\r\nConnection: close\r\n\r\n", true, 3000))
        .startsWith("HTTP/1.1 200");
    await(() -> batches.size() >= 3);

    Messages.AccessLogBatch first = batches.get(0);
    assertThat(first.node()).isEqualTo("edge-test");
    assertThat(first.stream()).startsWith("edge-test.");
    assertThat(first.sentAt()).as("the edge's clock at the send").isEqualTo(h.clock.instant());
    assertThat(batches).extracting(Messages.AccessLogBatch::seq).containsExactly(1L, 2L, 3L);
    assertThat(batches).extracting(Messages.AccessLogBatch::stream).containsOnly(first.stream());
    Messages.AccessLogRecord ranged = first.records().get(0);
    assertThat(ranged.range()).isEqualTo("bytes=0-3");
    assertThat(ranged.status()).isEqualTo(206);
    assertThat(ranged.contentType()).isEqualTo("text/plain; charset=utf-8");
    assertThat(ranged.tlsVersion()).as("plain HTTP").isNull();
    assertThat(ranged.bytesIn()).isZero();
    Messages.AccessLogRecord form = batches.get(1).records().get(0);
    assertThat(form.bytesIn()).isEqualTo(7);
    assertThat(form.range()).isNull();
    assertThat(batches.get(2).records().get(0).tlsVersion()).startsWith("TLSv1.");
  }

  @Test
  void recordsWithoutAConsumerAreKeptAndResentUntilOneAcknowledgesThem() {
    h = new EdgeHarness();
    TestOrigin origin = h.origin().respond(200, "x");
    h.site("t.example.com", origin, null);
    for (int i = 0; i < 3; i++) {
      h.get("t.example.com", "/d" + i);
    }
    // nobody consumes: the batch is attempted (no handlers) and kept
    await(() -> unacked() == 3);
    List<Messages.AccessLogBatch> seen = new CopyOnWriteArrayList<>();
    java.util.concurrent.atomic.AtomicInteger refusals = new java.util.concurrent.atomic.AtomicInteger();
    Await.result(Addresses.LOG_ACCESS.consumer(h.vertx.eventBus(), m -> {
      seen.add(m.body());
      if (refusals.getAndIncrement() == 0) {
        m.fail(500, "disk full"); // a logging instance that could not store it
      } else {
        m.reply(m.body().records().size());
      }
    }).completion());
    await(() -> unacked() == 0);
    assertThat(seen).hasSizeGreaterThanOrEqualTo(2).extracting(Messages.AccessLogBatch::seq).containsOnly(1L);
    assertThat(seen.get(seen.size() - 1).records()).extracting(Messages.AccessLogRecord::path)
        .containsExactly("/d0", "/d1", "/d2");
    assertThat(h.edge.runtime().logs().droppedRecords()).isZero();
    assertThat(h.edge.runtime().logs().bufferedBytes()).isZero();
  }

  @Test
  void pastTheBoundTheOldestRecordsAreDroppedCountedAndAnnouncedOnceToTheirTenant() {
    h = new EdgeHarness(s -> s.withLogBuffer(8 * 1024));
    TestOrigin origin = h.origin().respond(200, "x");
    h.site("b.example.com", origin, null);
    List<java.time.Instant> stamps = new java.util.ArrayList<>();
    for (int i = 0; i < 40; i++) {
      h.clock.advance(java.time.Duration.ofSeconds(1));
      stamps.add(h.clock.instant());
      h.get("b.example.com", "/b" + i);
      // the record is stamped when the edge sees the response end, which may be just after the client does:
      // the clock moves on only once it is taken, so each record carries its own second
      long taken = i + 1;
      await(() -> unacked() + h.edge.runtime().logs().droppedRecords() == taken);
    }
    assertThat(h.edge.runtime().logs().droppedRecords()).as("8 KiB hold a few records, not 40").isBetween(20L, 39L);
    assertThat(h.edge.runtime().logs().bufferedBytes()).isLessThanOrEqualTo(8 * 1024);
    long dropped = h.edge.runtime().logs().droppedRecords();
    assertThat(Await.result(h.store.notifications().list(EdgeHarness.TENANT, 10)))
        .as("announced when the episode ends, not per record").isEmpty();

    List<String> delivered = new CopyOnWriteArrayList<>();
    Await.result(Addresses.LOG_ACCESS.consumer(h.vertx.eventBus(), m -> {
      m.body().records().forEach(r -> delivered.add(r.path()));
      m.reply(m.body().records().size());
    }).completion());
    await(() -> unacked() == 0);
    assertThat(delivered).as("the newest survive, the oldest were dropped").hasSize((int) (40 - dropped))
        .contains("/b39").doesNotContain("/b0");
    assertThat(delivered.get(0)).isEqualTo("/b" + dropped);

    await(() -> !Await.result(h.store.notifications().list(EdgeHarness.TENANT, 10)).isEmpty());
    List<dev.kasoku.common.model.Notification> feed = Await.result(h.store.notifications().list(EdgeHarness.TENANT, 10));
    assertThat(feed).hasSize(1);
    assertThat(feed.get(0).kind()).isEqualTo("log.dropped");
    assertThat(feed.get(0).message()).startsWith(dropped + " access-log records of " + stamps.get(0) + " to "
        + stamps.get((int) dropped - 1)).contains("edge-test").contains("KASOKU_EDGE_LOG_BUFFER");
  }

  @Test
  void aGracefulStopHandsOverTheRecordsNotYetSent() {
    h = new EdgeHarness();
    List<String> delivered = new CopyOnWriteArrayList<>();
    Await.result(Addresses.LOG_ACCESS.consumer(h.vertx.eventBus(), m -> {
      m.body().records().forEach(r -> delivered.add(r.path()));
      m.reply(m.body().records().size());
    }).completion());
    TestOrigin origin = h.origin().respond(200, "x");
    h.site("g.example.com", origin, null);
    h.get("g.example.com", "/last");
    Await.result(h.stopEdge());
    assertThat(delivered).containsExactly("/last");
  }

  /**
   * The drain of a stopping edge ends by its ticker's time, not the JVM's clock: with the ticker
   * frozen, no acknowledgement and well past the drain's length in wall time, the records are still
   * waiting; once the ticker passes the drain's length they are dropped and counted.
   */
  @Test
  void aStoppingEdgeGivesUpItsUnacknowledgedRecordsWhenItsTickerSaysTheDrainIsOver() throws Exception {
    FakeTicker ticker = new FakeTicker();
    h = new EdgeHarness(s -> s, false, ticker);
    TestOrigin origin = h.origin().respond(200, "x");
    h.site("k.example.com", origin, null);
    h.get("k.example.com", "/kept");
    await(() -> unacked() == 1);

    Future<Void> stopped = h.stopEdge();
    Thread.sleep(EdgeTelemetry.LOG_DRAIN_MS + 1000);
    assertThat(stopped.isComplete()).as("no ticker time passed").isFalse();
    assertThat(h.edge.runtime().logs().droppedRecords()).isZero();

    ticker.advance(Duration.ofMillis(EdgeTelemetry.LOG_DRAIN_MS));
    Await.result(stopped);
    assertThat(h.edge.runtime().logs().droppedRecords()).isEqualTo(1);
  }

  private int unacked() {
    return (int) h.edge.runtime().logs().bufferedRecords();
  }

  private static void await(java.util.function.BooleanSupplier condition) {
    long deadline = System.currentTimeMillis() + 10_000;
    while (!condition.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("condition not met within 10 s");
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}
