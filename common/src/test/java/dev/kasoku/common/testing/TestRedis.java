package dev.kasoku.common.testing;

import dev.kasoku.common.model.Ids;
import dev.kasoku.common.store.redis.RedisStore;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * The shared test Redis: {@code KASOKU_TEST_REDIS_URL} (default {@code redis://127.0.0.1:6379/15}).
 * Tests isolate themselves with a random key root ({@link #randomRoot()}) and delete what they
 * wrote ({@link #deleteAll}).
 */
public final class TestRedis {
  public static final String DEFAULT_URL = "redis://127.0.0.1:6379/15";

  private TestRedis() {}

  public static String url() {
    String url = System.getenv("KASOKU_TEST_REDIS_URL");
    return url == null || url.isBlank() ? DEFAULT_URL : url;
  }

  /** A key root no other test uses: {@code kt-<random>}. */
  public static String randomRoot() {
    return "kt-" + Ids.random(10);
  }

  /** A Redis store on the test Redis under a random root. */
  public static RedisStore store(Vertx vertx) {
    return store(vertx, randomRoot());
  }

  public static RedisStore store(Vertx vertx, String root) {
    return store(vertx, root, Clock.systemUTC());
  }

  public static RedisStore store(Vertx vertx, String root, Clock clock) {
    return new RedisStore(vertx, url(), root, Duration.ofSeconds(5), clock);
  }

  /** Deletes every key under the root (with its own short-lived connections). */
  public static void deleteAll(Vertx vertx, String root) {
    RedisStore store = store(vertx, root);
    Redis client = Redis.createClient(vertx, url());
    try {
      List<String> keys = Await.result(store.allKeys());
      for (int from = 0; from < keys.size(); from += 500) {
        Object[] chunk = keys.subList(from, Math.min(keys.size(), from + 500)).toArray();
        Await.result(client.send(Request.cmd(Command.DEL, chunk)));
      }
    } finally {
      Await.result(client.close());
      Await.result(store.close());
    }
  }
}
