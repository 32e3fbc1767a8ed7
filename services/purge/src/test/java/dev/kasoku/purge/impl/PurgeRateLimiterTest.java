package dev.kasoku.purge.impl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.http.ApiException;
import dev.kasoku.common.store.redis.RedisStore;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.MutableClock;
import dev.kasoku.common.testing.TestRedis;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The purge rate limit as a token bucket in the (Redis) store, on a clock the test moves. */
class PurgeRateLimiterTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-25T10:00:00Z"));
  private Vertx vertx;
  private String root;
  private RedisStore store;

  @BeforeEach
  void open() {
    vertx = Vertx.vertx();
    root = TestRedis.randomRoot();
    store = TestRedis.store(vertx, root, clock);
  }

  @AfterEach
  void close() {
    Await.result(store.close());
    TestRedis.deleteAll(vertx, root);
    Await.result(vertx.close());
  }

  @Test
  void aBurstOfTheCapacityPassesThenOnePurgePerRefillIntervalWithRetryAfterUntilTheNextToken() {
    // 6 per minute: a burst of 6, then one every 10 s
    PurgeRateLimiter limiter = new PurgeRateLimiter(store.access(), 6, Duration.ofMinutes(1));
    for (int i = 0; i < 6; i++) {
      Await.result(limiter.acquire("t1"));
    }
    ApiException refused = (ApiException) Await.failure(limiter.acquire("t1"));
    assertThat(refused.status()).isEqualTo(429);
    assertThat(refused.headers()).containsEntry("Retry-After", "10");
    clock.advance(Duration.ofMillis(9_001));
    refused = (ApiException) Await.failure(limiter.acquire("t1"));
    assertThat(refused.headers()).containsEntry("Retry-After", "1");
    clock.advance(Duration.ofMillis(999));
    Await.result(limiter.acquire("t1"));
    assertThat(Await.failure(limiter.acquire("t1"))).isInstanceOf(ApiException.class);
    // another tenant has its own bucket
    Await.result(limiter.acquire("t2"));
  }

  @Test
  void refusedPurgesDoNotDelayTheNextToken() {
    PurgeRateLimiter limiter = new PurgeRateLimiter(store.access(), 2, Duration.ofSeconds(20));
    Await.result(limiter.acquire("t1"));
    Await.result(limiter.acquire("t1"));
    for (int i = 0; i < 50; i++) {
      Await.failure(limiter.acquire("t1"));
    }
    clock.advance(Duration.ofSeconds(10));
    Await.result(limiter.acquire("t1"));
  }

  @Test
  void twoLimitersOnOneStoreShareTheBucket() {
    PurgeRateLimiter a = new PurgeRateLimiter(store.access(), 4, Duration.ofMinutes(1));
    RedisStore other = TestRedis.store(vertx, root, clock);
    try {
      PurgeRateLimiter b = new PurgeRateLimiter(other.access(), 4, Duration.ofMinutes(1));
      Await.result(a.acquire("t1"));
      Await.result(b.acquire("t1"));
      Await.result(a.acquire("t1"));
      Await.result(b.acquire("t1"));
      assertThat(Await.failure(a.acquire("t1"))).isInstanceOf(ApiException.class);
      assertThat(Await.failure(b.acquire("t1"))).isInstanceOf(ApiException.class);
    } finally {
      Await.result(other.close());
    }
  }
}
