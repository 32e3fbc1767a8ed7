package dev.kasoku.cacheedge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.cacheedge.testing.EdgeHarness;
import dev.kasoku.cacheedge.testing.TestOrigin;
import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages;
import dev.kasoku.common.testing.Await;
import io.vertx.core.Promise;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Access-log records and counter deltas leave in batches on the bus; without consumers they are dropped and counted. */
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
  void recordsWithoutAConsumerAreDroppedAndCounted() throws Exception {
    h = new EdgeHarness();
    TestOrigin origin = h.origin().respond(200, "x");
    h.site("t.example.com", origin, null);
    for (int i = 0; i < 3; i++) {
      h.get("t.example.com", "/d" + i);
    }
    long deadline = System.currentTimeMillis() + 5000;
    while (h.edge.runtime().telemetryDropped().get() < 3 && System.currentTimeMillis() < deadline) {
      Thread.sleep(50);
    }
    assertThat(h.edge.runtime().telemetryDropped().get()).isGreaterThanOrEqualTo(3);
  }
}
