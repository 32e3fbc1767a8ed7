package dev.kasoku.logging;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.json.Json;
import dev.kasoku.common.model.AuditRecord;
import dev.kasoku.common.store.Store;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.TestRedis;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The audit trail over Redis (KASOKU_TEST_REDIS_URL, a random key root), and what verification
 * finds when someone with access to Redis edits, deletes or cuts records behind the service's back.
 */
class RedisAuditTrailTest extends AuditTrailTest {
  private String root;

  @Override
  protected Store openStore(Vertx vertx, Clock clock) {
    root = TestRedis.randomRoot();
    return TestRedis.store(vertx, root, clock.get());
  }

  @Override
  protected void cleanUp() {
    Vertx v = Vertx.vertx();
    TestRedis.deleteAll(v, root);
    Await.result(v.close());
  }

  private String recordsKey() {
    return root + ":t:" + tenantA + ":audit";
  }

  private void chainOfFive() throws Exception {
    dev.kasoku.logging.impl.AuditService service = new dev.kasoku.logging.impl.AuditService(vertx, store.audit(),
        java.time.Clock.systemUTC(), LoggingSettings.defaults());
    for (int i = 0; i < 5; i++) {
      Await.result(service.intake(new dev.kasoku.common.bus.Messages.AuditEvent(java.time.Instant.now(), "user:alice",
          tenantA, "site.put", "www@" + i, "192.0.2.1", "success", null)));
    }
  }

  private JsonObject verifyAfter(Consumer<Redis> tamper) throws Exception {
    chainOfFive();
    Redis redis = Redis.createClient(vertx, TestRedis.url());
    try {
      tamper.accept(redis);
    } finally {
      redis.close();
    }
    dev.kasoku.logging.impl.AuditChain.Verification v =
        Await.result(new dev.kasoku.logging.impl.AuditChain(store.audit()).verify(tenantA));
    return new JsonObject().put("ok", v.ok()).put("seq", v.firstBad() == null ? null : v.firstBad().seq())
        .put("reason", v.firstBad() == null ? null : v.firstBad().reason());
  }

  private AuditRecord read(Redis redis, int index) {
    return Json.decode(Await.result(redis.send(Request.cmd(Command.LINDEX).arg(recordsKey()).arg(index))).toString(),
        AuditRecord.class);
  }

  @Test
  void editingARecordInRedisIsFound() throws Exception {
    JsonObject v = verifyAfter(redis -> {
      AuditRecord r = read(redis, 1);
      AuditRecord edited = new AuditRecord(r.seq(), r.ts(), r.tenant(), r.actor(), "site.delete", r.target(),
          r.sourceIp(), r.outcome(), r.requestId(), r.prevHash(), r.hash());
      Await.result(redis.send(Request.cmd(Command.LSET).arg(recordsKey()).arg(1).arg(Json.encode(edited))));
    });
    assertThat(v.getBoolean("ok")).isFalse();
    assertThat(v.getLong("seq")).isEqualTo(2);
  }

  @Test
  void deletingARecordInRedisIsFound() throws Exception {
    JsonObject v = verifyAfter(redis -> {
      String second = Await.result(redis.send(Request.cmd(Command.LINDEX).arg(recordsKey()).arg(2))).toString();
      Await.result(redis.send(Request.cmd(Command.LREM).arg(recordsKey()).arg(1).arg(second)));
    });
    assertThat(v.getBoolean("ok")).isFalse();
    assertThat(v.getLong("seq")).isEqualTo(4);
  }

  @Test
  void truncatingTheChainInRedisIsFound() throws Exception {
    JsonObject v = verifyAfter(redis ->
        Await.result(redis.send(Request.cmd(Command.LTRIM).arg(recordsKey()).arg(0).arg(2))));
    assertThat(v.getBoolean("ok")).isFalse();
    assertThat(v.getString("reason")).contains("cut off the end");
  }
}
