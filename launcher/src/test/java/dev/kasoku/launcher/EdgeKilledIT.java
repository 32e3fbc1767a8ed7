package dev.kasoku.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.testing.TestRedis;
import dev.kasoku.launcher.KasokuProcesses.Answer;
import dev.kasoku.launcher.KasokuProcesses.Node;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An edge process SIGKILLed while purges are being issued, on the real jar: a control process and
 * two edges, load on both edges, a purge every 250 ms. A purge accepted while the dead edge still
 * counted as live reports {@code partial} naming it once the wait bound (3 s) passed; once its
 * heartbeats have been missed the edge is no longer waited on (purges are {@code done} with the
 * survivor alone); the survivor serves throughout without a failed request and acks every purge; a
 * purge issued while the edge is down is in force on it when it comes back, before it reports
 * ready, and purges after its return reach it again.
 *
 * <p>Bounded: three processes, three client threads and one purge thread on loopback, each wait
 * polled up to a deadline; the fixture stops every process, passed or failed.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class EdgeKilledIT {
  @TempDir Path work;
  private KasokuProcesses cluster;
  private ExecutorService purger;

  @AfterEach
  void stopEverything() throws Exception {
    if (purger != null) {
      purger.shutdownNow();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aKilledEdgeIsNamedInPartialPurgesAndIsNotWaitedOnAndMissesNoPurgeWhenItReturns() throws Exception {
    cluster = new KasokuProcesses("EdgeKilledIT", work, TestRedis.url(), 3);
    Node control = cluster.node("control", "auth,config,purge,logging,metrics");
    Node victim = cluster.node("edge-1", "cache-edge");
    Node survivor = cluster.node("edge-2", "cache-edge");
    cluster.startAll(control, victim, survivor);
    cluster.createTenantAndSite(control, "Edge killed IT");
    for (Node edge : List.of(victim, survivor)) {
      cluster.awaitEdge(edge, "/page", Duration.ofSeconds(30), a -> a.status() == 200);
      cluster.awaitEdge(edge, "/page", Duration.ofSeconds(10), a -> String.valueOf(a.cacheStatus()).contains("; hit"));
    }

    KasokuProcesses.Load onSurvivor = cluster.new Load(2, 120, i -> survivor);
    KasokuProcesses.Load onVictim = cluster.new Load(1, 120, i -> victim);
    onSurvivor.awaitServedMoreThan(0, Duration.ofSeconds(20));
    onVictim.awaitServedMoreThan(0, Duration.ofSeconds(20));

    List<String> purges = Collections.synchronizedList(new ArrayList<>());
    AtomicBoolean purging = new AtomicBoolean(true);
    purger = Executors.newSingleThreadExecutor();
    Future<?> purgeLoop = purger.submit(() -> {
      for (int i = 0; purging.get() && i < 400; i++) {
        purges.add(cluster.purgeUrl(control, "/load/" + (i % 20)));
        Thread.sleep(250);
      }
      return null;
    });
    KasokuProcesses.eventually(Duration.ofSeconds(20), () -> purges.size() >= 3);

    long killedAt = System.nanoTime();
    cluster.kill(victim);
    String rightAfter = cluster.purgeUrl(control, "/load/0");
    long failedOnSurvivorAtKill = onSurvivor.failed.get();

    // accepted while the dead edge still counted as live: partial, naming it, once the bound passed
    JsonObject partial = cluster.awaitPurge(control, rightAfter, Duration.ofSeconds(20),
        s -> !"pending".equals(s.getString("status")));
    long partialMs = (System.nanoTime() - killedAt) / 1_000_000;
    assertThat(partial.getString("status")).as(partial.encode()).isEqualTo("partial");
    assertThat(KasokuProcesses.strings(partial.getJsonArray("missing"))).containsExactly("edge-1");
    assertThat(partial.getJsonObject("acked").fieldNames()).containsExactly("edge-2");

    // then it is no longer waited on: a purge is done with the survivor alone
    String without = null;
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (without == null && System.nanoTime() < deadline) {
      HttpResponse<String> r = KasokuProcesses.api(control, "POST", "/v1/tenants/" + cluster.tenant() + "/purge?wait=true",
          cluster.adminKey(), new JsonObject().put("urls", new JsonArray().add("http://" + cluster.host() + "/load/1")));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
      JsonObject s = new JsonObject(r.body());
      if (KasokuProcesses.strings(s.getJsonArray("nodes")).equals(List.of("edge-2"))) {
        assertThat(s.getString("status")).as(s.encode()).isEqualTo("done");
        without = s.getString("id");
      } else {
        Thread.sleep(200);
      }
    }
    assertThat(without).as("a purge stops waiting on the dead edge").isNotNull();
    long droppedMs = (System.nanoTime() - killedAt) / 1_000_000;

    // a purge while it is down, of a page it had stored: in force on it when it returns
    cluster.originVersion.set(2);
    String whileDown = cluster.purgeUrl(control, "/page");
    cluster.awaitPurge(control, whileDown, Duration.ofSeconds(20), s -> "done".equals(s.getString("status")));

    long restartedAt = System.nanoTime();
    cluster.start(victim);
    cluster.awaitReady(victim);
    long readyMs = (System.nanoTime() - restartedAt) / 1_000_000;
    Answer afterReturn = cluster.get(victim, "/page");
    assertThat(afterReturn.status()).isEqualTo(200);
    assertThat(afterReturn.body()).as("the page purged while the edge was down").isEqualTo(KasokuProcesses.body("/page", 2));
    long downMs = (System.nanoTime() - killedAt) / 1_000_000;
    onVictim.awaitServedMoreThan(onVictim.served.get(), Duration.ofSeconds(30));

    // purges reach it again: it is expected, acks, and its stored copy is gone
    cluster.awaitEdge(victim, "/page", Duration.ofSeconds(10), a -> String.valueOf(a.cacheStatus()).contains("; hit"));
    cluster.originVersion.set(3);
    JsonObject back = null;
    deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (back == null && System.nanoTime() < deadline) {
      HttpResponse<String> r = KasokuProcesses.api(control, "POST", "/v1/tenants/" + cluster.tenant() + "/purge?wait=true",
          cluster.adminKey(), new JsonObject().put("urls", new JsonArray().add("http://" + cluster.host() + "/page")));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
      JsonObject s = new JsonObject(r.body());
      if (KasokuProcesses.strings(s.getJsonArray("nodes")).contains("edge-1")) {
        back = s;
      } else {
        Thread.sleep(200);
      }
    }
    assertThat(back).as("the returned edge is expected by purges again").isNotNull();
    assertThat(back.getString("status")).as(back.encode()).isEqualTo("done");
    assertThat(back.getJsonObject("acked").fieldNames()).containsExactlyInAnyOrder("edge-1", "edge-2");
    assertThat(cluster.get(victim, "/page").body()).isEqualTo(KasokuProcesses.body("/page", 3));

    purging.set(false);
    purgeLoop.get(60, TimeUnit.SECONDS);
    onSurvivor.close();
    onVictim.close();

    // 0 purges lost: every purge settled; the survivor acked each; only the dead edge is ever missing
    int partials = 0;
    for (String id : purges) {
      JsonObject s = cluster.awaitPurge(control, id, Duration.ofSeconds(20), st -> !"pending".equals(st.getString("status")));
      assertThat(s.getJsonObject("acked").fieldNames()).as(s.encode()).contains("edge-2");
      if ("partial".equals(s.getString("status"))) {
        partials++;
        assertThat(KasokuProcesses.strings(s.getJsonArray("missing"))).as(s.encode()).containsExactly("edge-1");
      } else {
        assertThat(s.getString("status")).as(s.encode()).isEqualTo("done");
      }
    }
    assertThat(onSurvivor.failed.get()).as("failed on the survivor: " + onSurvivor.failures).isZero();
    assertThat(failedOnSurvivorAtKill).isZero();
    System.out.printf("MEASURED edge killed: survivor %d served / %d failed; killed edge %d served / %d failed"
            + " (while down); partial naming it %d ms after the kill; no longer waited on after %d ms; back and ready"
            + " %d ms after its restart (%d ms after the kill); %d purges issued during the test, %d partial, 0 lost%n",
        onSurvivor.served.get(), onSurvivor.failed.get(), onVictim.served.get(), onVictim.failed.get(), partialMs,
        droppedMs, readyMs, downMs, purges.size() + 4, partials + 1);
  }
}
