package dev.kasoku.logging.impl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.bus.Messages.AccessLogBatch;
import dev.kasoku.common.bus.Messages.AccessLogRecord;
import dev.kasoku.common.model.Ids;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.TempStores;
import dev.kasoku.logging.segment.SegmentFile;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The writer's group commit: batches that arrive while a commit runs are written and forced
 * together in the next, each answered once its records are on disk, and a batch sent twice into
 * one commit is stored once.
 */
class AccessLogGroupCommitTest {
  private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
  private final Vertx vertx = Vertx.vertx();
  private final Path dir = TempStores.newDirectory();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final AccessLogService service = new AccessLogService(vertx, dir, Clock.fixed(T0, ZoneOffset.UTC), registry);

  @AfterEach
  void stop() {
    Await.result(service.close());
    Await.result(vertx.close());
    TempStores.deleteRecursively(dir);
  }

  private static AccessLogBatch batch(String tenant, long seq, int records) {
    List<AccessLogRecord> rs = new ArrayList<>();
    for (int i = 0; i < records; i++) {
      rs.add(new AccessLogRecord(T0.plusMillis(seq * 100 + i), tenant, "www", "www.example", "192.0.2.1", "GET",
          "/b" + seq + "/" + i, "HTTP/1.1", 200, 1, "miss", 0, 1, "ua", null, "edge-1", "r" + seq + "-" + i));
    }
    return new AccessLogBatch("edge-1", "stream-1", seq, 1, T0, rs);
  }

  @Test
  void batchesArrivingTogetherShareCommitsAndEachIsAnsweredWithItsOwnCount() throws Exception {
    Await.result(service.recover());
    String tenant = "t" + Ids.random(8);
    int batches = 40;
    Promise<List<Future<Integer>>> sent = Promise.promise();
    // all handed over in one event-loop turn, as a busy bus delivers them
    vertx.runOnContext(v -> {
      List<Future<Integer>> answers = new ArrayList<>();
      for (int seq = 1; seq <= batches; seq++) {
        answers.add(service.intake(batch(tenant, seq, 10 + seq)));
      }
      answers.add(service.intake(batch(tenant, 7, 17))); // a resend of batch 7 while it waits
      sent.complete(answers);
    });
    List<Future<Integer>> answers = Await.result(sent.future());
    Await.result(Future.all(answers));

    int expected = 0;
    for (int seq = 1; seq <= batches; seq++) {
      assertThat(answers.get(seq - 1).result()).as("records stored of batch %d", seq).isEqualTo(10 + seq);
      expected += 10 + seq;
    }
    assertThat(answers.get(batches).result()).as("the resend").isZero();
    double commits = registry.get(AccessLogService.COMMITS_METER).counter().count();
    // the writer takes what is pending each time it starts a commit, so how many batches it finds
    // depends on how fast it writes against how fast they are handed over (a faster writer starts
    // the next commit while the turn still hands batches over); one commit per batch is what no
    // group commit would do
    assertThat(commits).as("commits for %d batches", batches).isBetween(1.0, batches / 4.0);
    assertThat(registry.get(AccessLogService.DUPLICATES_METER).counter().count()).isEqualTo(1.0);

    Set<String> ids = new HashSet<>();
    int[] lines = {0};
    SegmentFile.read(dir.resolve(tenant).resolve("2026120110" + AccessLogStore.SUFFIX), data -> {
      for (String line : new String(data, StandardCharsets.UTF_8).split("\n")) {
        lines[0]++;
        ids.add(new io.vertx.core.json.JsonObject(line).getString("requestId"));
      }
    });
    assertThat(lines[0]).as("every record once on disk").isEqualTo(expected);
    assertThat(ids).hasSize(expected);
  }

  @Test
  void aLoneBatchIsCommittedAtOnce() {
    Await.result(service.recover());
    String tenant = "t" + Ids.random(8);
    assertThat(Await.result(service.intake(batch(tenant, 1, 3)))).isEqualTo(3);
    assertThat(Await.result(service.intake(batch(tenant, 2, 4)))).isEqualTo(4);
    assertThat(registry.get(AccessLogService.COMMITS_METER).counter().count()).isEqualTo(2.0);
  }
}
