package dev.kasoku.common.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
class HealthTest {

  @Test
  void readyOnlyWhenEveryCheckPasses(Vertx vertx, VertxTestContext test) {
    Health health = new Health()
        .register("store", Future::succeededFuture)
        .register("cluster", () -> Future.failedFuture("not joined"));
    health.report(vertx).onComplete(test.succeeding(body -> test.verify(() -> {
      assertThat(body.getString("status")).isEqualTo("not-ready");
      JsonObject checks = body.getJsonObject("checks");
      assertThat(checks.getString("store")).isEqualTo("up");
      assertThat(checks.getString("cluster")).isEqualTo("down: not joined");
      test.completeNow();
    })));
  }

  @Test
  void aCheckThatNeverAnswersCountsAsDownAfterTheTimeout(Vertx vertx, VertxTestContext test) {
    Health health = new Health().register("store", () -> Promise.promise().future());
    long start = System.nanoTime();
    health.report(vertx).onComplete(test.succeeding(body -> test.verify(() -> {
      assertThat(body.getString("status")).isEqualTo("not-ready");
      assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(Health.CHECK_TIMEOUT_MS + 2000);
      test.completeNow();
    })));
  }

  @Test
  void drainingMakesTheProcessNotReadyEvenWhenChecksPass(Vertx vertx, VertxTestContext test) {
    Health health = new Health().register("store", Future::succeededFuture);
    health.drain();
    health.report(vertx).onComplete(test.succeeding(body -> test.verify(() -> {
      assertThat(body.getString("status")).isEqualTo("not-ready");
      assertThat(body.getBoolean("draining")).isTrue();
      test.completeNow();
    })));
  }
}
