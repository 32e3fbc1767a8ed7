package dev.kasoku.common.store.redis;

import static dev.kasoku.common.testing.Await.result;

import dev.kasoku.common.store.Store;
import dev.kasoku.common.store.StoreContractTest;
import dev.kasoku.common.testing.TestRedis;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * The store contract against {@link RedisStore} on the real Redis at {@code KASOKU_TEST_REDIS_URL},
 * under a random key root per test; every key under it is deleted afterwards.
 */
class RedisStoreContractTest extends StoreContractTest {
  private final List<String> roots = new ArrayList<>();

  @Override
  protected Store openStore(Vertx vertx, Clock clock) {
    String root = TestRedis.randomRoot();
    roots.add(root);
    return TestRedis.store(vertx, root, clock);
  }

  @Override
  protected void cleanUp() {
    for (String root : roots) {
      TestRedis.deleteAll(vertx, root);
      // nothing of this test may remain
      RedisStore check = TestRedis.store(vertx, root);
      try {
        org.assertj.core.api.Assertions.assertThat(result(check.allKeys())).isEmpty();
      } finally {
        result(check.close());
      }
    }
    roots.clear();
  }

  /** SCAN MATCH {@code <root>:t:<tenant>:*}: every key of the tenant's namespace. */
  @Override
  protected List<String> namespaceOf(String tenant) {
    return result(((RedisStore) store).namespaceKeys(tenant));
  }

  /** Each resolution's chunk key expires its retention after the chunk's end: at least retention, at most a chunk more. */
  @org.junit.jupiter.api.Test
  void statsKeysExpireAfterTheirResolutionsRetention() {
    java.time.Instant at = java.time.Instant.now().minusSeconds(5);
    result(store.stats().fold("x/1", at, List.of(new dev.kasoku.common.store.StatsStore.Delta(tenantA, "www",
        java.util.Map.of("requests", 1L)))));
    RedisStore redis = (RedisStore) store;
    for (dev.kasoku.common.store.StatsStore.Resolution r : dev.kasoku.common.store.StatsStore.Resolution.values()) {
      long span = RedisStats.chunkSeconds(r);
      long chunk = Math.floorDiv(r.bucketOf(at), span) * span;
      String key = redis.tenantKey(tenantA, "stats:www:" + r.code() + ":" + chunk);
      long ttl = result(redis.send(RedisStore.cmd(io.vertx.redis.client.Command.TTL, key))).toLong();
      long keptAfterBucket = at.getEpochSecond() - r.bucketOf(at) + ttl;
      org.assertj.core.api.Assertions.assertThat(keptAfterBucket).as(r.name())
          .isGreaterThanOrEqualTo(r.retention().toSeconds() - 10)
          .isLessThanOrEqualTo(r.retention().toSeconds() + span);
    }
    long foldedTtl = result(redis.send(RedisStore.cmd(io.vertx.redis.client.Command.TTL, redis.key("stats-folded:x/1")))).toLong();
    org.assertj.core.api.Assertions.assertThat(foldedTtl).isBetween(3500L, 3600L);
  }

  /** An entry this version cannot read (written by hand here) is skipped, not allowed to hide the others. */
  @org.junit.jupiter.api.Test
  void anUnreadableEdgeTableEntryIsSkipped() {
    java.time.Instant now = java.time.Instant.now();
    result(store.edgeMembers().record(new dev.kasoku.common.model.EdgeMember("edge-ok", "10.0.0.1:8444", now,
        now.plusSeconds(60))));
    RedisStore redis = (RedisStore) store;
    result(redis.send(RedisStore.cmd(io.vertx.redis.client.Command.HSET, redis.key(RedisEdgeMembers.MEMBERS),
        "edge-bad", "{\"node\":\"edge-bad\",\"peerAddress\":\"no-port\"}")));
    org.assertj.core.api.Assertions.assertThat(result(store.edgeMembers().live()))
        .extracting(dev.kasoku.common.model.EdgeMember::node).containsExactly("edge-ok");
  }
}
