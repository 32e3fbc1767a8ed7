package dev.kasoku.cacheedge.purge;

import static dev.kasoku.cacheedge.purge.TestObjects.lookup;
import static dev.kasoku.cacheedge.purge.TestObjects.put;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.cacheedge.storage.MemoryStorage;
import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages.PurgeCommand;
import dev.kasoku.common.bus.Messages.PurgeScope;
import dev.kasoku.common.bus.RecordCodec;
import dev.kasoku.common.model.PurgeRecord;
import dev.kasoku.common.store.redis.RedisStore;
import dev.kasoku.common.testing.RedisServerProcess;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Regression: an edge whose store was unreachable at start failed to start at all, because the purge
 * agent needed the log's end before subscribing. It must start (alive, serving), apply purges that
 * reach it over the bus meanwhile, and pick up the log once the store answers.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PurgeAgentStoreDownAtStartTest {
  private static final String A = "a.example";

  @Test
  void agentStartsWithoutTheStoreAppliesBusPurgesAndReplaysTheLogOnceTheStoreIsBack() throws Exception {
    Vertx vertx = Vertx.vertx();
    RecordCodec.registerAll(vertx);
    try (RedisServerProcess redis = RedisServerProcess.start()) {
      RedisStore store = new RedisStore(vertx, redis.url(), "kasoku", Duration.ofSeconds(1), Clock.systemUTC());
      redis.kill();
      PurgeGuard guard = new PurgeGuard(Clock.systemUTC());
      GuardedStorage storage = new GuardedStorage(new MemoryStorage(16L << 20, 1 << 20, 8), guard);
      PurgeAgent agent = new PurgeAgent(store.purgeLog(), storage, guard, TestObjects.KEYS, "edge-1",
          Clock.systemUTC(), new PurgeAgent.Settings(Duration.ofMillis(100), Duration.ofSeconds(1)));
      vertx.deployVerticle(agent).await(10, TimeUnit.SECONDS);

      long now = System.currentTimeMillis();
      put(storage, "t1", A, "/bus", List.of(), "", now);
      put(storage, "t1", A, "/log", List.of(), "", now);
      Addresses.PURGE.publish(vertx.eventBus(), new PurgeCommand("p-bus", 7, "t1", PurgeScope.URL, List.of(A + "/bus"), false, Instant.now()));
      awaitTrue(() -> lookup(storage, "t1", A, "/bus", "") == null, "the bus purge is applied without the log");

      redis.restart();
      appendOnceTheStoreAnswers(store, new PurgeRecord(0, "p-log", "t1", PurgeScope.URL, List.of(A + "/log"),
          false, "test", Instant.now()));
      // no bus message for this one: only the log replay can bring it
      awaitTrue(() -> lookup(storage, "t1", A, "/log", "") == null, "the logged purge is replayed");
      assertThat(agent.lastAppliedSeq()).isGreaterThanOrEqualTo(1);
      store.close().await(5, TimeUnit.SECONDS);
      storage.close();
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  /** The store reconnects on its own after a backoff; the purge service's caller would retry on 503. */
  private static void appendOnceTheStoreAnswers(RedisStore store, PurgeRecord record) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try {
        store.purgeLog().append(record).await(5, TimeUnit.SECONDS);
        return;
      } catch (Exception e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(50);
      }
    }
  }

  private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(20);
    }
  }
}
