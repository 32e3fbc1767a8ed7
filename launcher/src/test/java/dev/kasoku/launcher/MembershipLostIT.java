package dev.kasoku.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.testing.TestRedis;
import dev.kasoku.launcher.KasokuProcesses.Node;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An edge frozen (SIGSTOP) until the cluster dropped it past the 15 s heartbeat timeout, then
 * resumed, on the real jar: a control process and two edges, load on both. While it is frozen a
 * purge and a config change are made (done without it). Resumed, it merges back into the cluster,
 * catches up on the purge and the config from the store, and a purge issued after the rejoin
 * reaches it and is acked by it (its heartbeats and acks travel the bus again). Neither edge fails
 * a request: the frozen one's are late, not lost.
 *
 * <p>Regression: Hazelcast merged a dropped member back only after its first split-brain check,
 * 300 s after start; until then the resumed edge was a cluster of its own and purges reported it
 * missing.
 *
 * <p>Bounded: three processes, three client threads on loopback, each wait polled up to a deadline;
 * the fixture resumes and stops every process, passed or failed.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class MembershipLostIT {
  @TempDir Path work;
  private KasokuProcesses cluster;

  @AfterEach
  void stopEverything() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void anEdgeDroppedWhileFrozenRejoinsCatchesUpAndTakesPurgesAgain() throws Exception {
    cluster = new KasokuProcesses("MembershipLostIT", work, TestRedis.url(), 3);
    Node control = cluster.node("control", "auth,config,purge,logging,metrics");
    Node frozen = cluster.node("edge-1", "cache-edge");
    Node healthy = cluster.node("edge-2", "cache-edge");
    cluster.startAll(control, frozen, healthy);
    cluster.createTenantAndSite(control, "Membership IT");
    for (Node edge : List.of(frozen, healthy)) {
      cluster.awaitEdge(edge, "/page", Duration.ofSeconds(30), a -> a.status() == 200);
      cluster.awaitEdge(edge, "/page", Duration.ofSeconds(10), a -> String.valueOf(a.cacheStatus()).contains("; hit"));
    }
    KasokuProcesses.Load onHealthy = cluster.new Load(2, 150, i -> healthy);
    KasokuProcesses.Load onFrozen = cluster.new Load(1, 150, i -> frozen);
    onHealthy.awaitServedMoreThan(0, Duration.ofSeconds(20));
    onFrozen.awaitServedMoreThan(0, Duration.ofSeconds(20));

    String member = "[127.0.0.1]:" + frozen.clusterPort();
    KasokuProcesses.signal(frozen, "STOP");
    long frozenAt = System.nanoTime();
    String alt = "alt." + cluster.host();
    long resumedAt;
    try {
      assertThat(KasokuProcesses.eventually(Duration.ofSeconds(60),
          () -> control.output().contains("cluster member left: " + member)))
          .as("the cluster drops the frozen edge:\n" + control.output()).isTrue();
      long droppedMs = (System.nanoTime() - frozenAt) / 1_000_000;
      System.out.printf("MEASURED membership: frozen edge dropped %d ms after SIGSTOP%n", droppedMs);

      // while it is away: a purge (done without it) and a config change
      cluster.originVersion.set(2);
      HttpResponse<String> purge = KasokuProcesses.api(control, "POST", "/v1/tenants/" + cluster.tenant() + "/purge?wait=true",
          cluster.adminKey(), new JsonObject().put("urls", new JsonArray().add("http://" + cluster.host() + "/page")));
      assertThat(purge.statusCode()).as(purge.body()).isEqualTo(202);
      JsonObject away = new JsonObject(purge.body());
      assertThat(away.getString("status")).as(away.encode()).isEqualTo("done");
      assertThat(KasokuProcesses.strings(away.getJsonArray("nodes"))).containsExactly("edge-2");
      HttpResponse<String> put = KasokuProcesses.api(control, "PUT", cluster.sitePath(), cluster.adminKey(),
          cluster.siteConfig("0s").put("hostnames", new JsonArray().add(cluster.host()).add(alt)));
      assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
    } finally {
      KasokuProcesses.signal(frozen, "CONT");
      resumedAt = System.nanoTime();
    }
    long frozenMs = (resumedAt - frozenAt) / 1_000_000;

    cluster.awaitEdge(frozen, "/page", Duration.ofSeconds(30),
        a -> a.status() == 200 && a.body().equals(KasokuProcesses.body("/page", 2)));
    long purgeCaughtUpMs = (System.nanoTime() - resumedAt) / 1_000_000;
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    int altStatus = -1;
    while (altStatus != 200 && System.nanoTime() < deadline) {
      altStatus = cluster.get(frozen, alt, "/page").status();
      Thread.sleep(altStatus == 200 ? 0 : 100);
    }
    assertThat(altStatus).as("the hostname added while it was frozen").isEqualTo(200);
    long configCaughtUpMs = (System.nanoTime() - resumedAt) / 1_000_000;

    assertThat(KasokuProcesses.eventually(Duration.ofSeconds(60), () -> {
      String log = control.output();
      int left = log.indexOf("cluster member left: " + member);
      return log.indexOf("cluster member joined: " + member, left) > left;
    })).as("the resumed edge merges back into the cluster:\n" + frozen.output()).isTrue();
    long rejoinedMs = (System.nanoTime() - resumedAt) / 1_000_000;

    // a purge issued after the rejoin: it is expected again, and acks over the bus
    cluster.awaitEdge(frozen, "/after", Duration.ofSeconds(10), a -> String.valueOf(a.cacheStatus()).contains("; hit"));
    cluster.originVersion.set(3);
    JsonObject reached = null;
    deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (reached == null && System.nanoTime() < deadline) {
      HttpResponse<String> r = KasokuProcesses.api(control, "POST", "/v1/tenants/" + cluster.tenant() + "/purge?wait=true",
          cluster.adminKey(), new JsonObject().put("urls", new JsonArray().add("http://" + cluster.host() + "/after")));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
      JsonObject s = new JsonObject(r.body());
      if (KasokuProcesses.strings(s.getJsonArray("nodes")).contains("edge-1")) {
        reached = s;
      } else {
        Thread.sleep(200);
      }
    }
    assertThat(reached).as("purges expect the rejoined edge again:\n" + frozen.output()).isNotNull();
    assertThat(reached.getString("status")).as(reached.encode()).isEqualTo("done");
    assertThat(reached.getJsonObject("acked").fieldNames()).containsExactlyInAnyOrder("edge-1", "edge-2");
    long purgeReachedMs = (System.nanoTime() - resumedAt) / 1_000_000;
    assertThat(cluster.get(frozen, "/after").body()).isEqualTo(KasokuProcesses.body("/after", 3));
    assertThat(KasokuProcesses.ready(frozen)).as("the rejoined edge is ready").isTrue();
    List<Object> tookMs = new java.util.ArrayList<>();
    for (int i = 0; i < 5; i++) {
      HttpResponse<String> r = KasokuProcesses.api(control, "POST", "/v1/tenants/" + cluster.tenant() + "/purge?wait=true",
          cluster.adminKey(), new JsonObject().put("urls", new JsonArray().add("http://" + cluster.host() + "/after")));
      JsonObject s = new JsonObject(r.body());
      assertThat(s.getString("status")).as(s.encode()).isEqualTo("done");
      assertThat(s.getJsonObject("acked").fieldNames()).containsExactlyInAnyOrder("edge-1", "edge-2");
      tookMs.add(s.getValue("tookMs"));
    }

    onHealthy.close();
    onFrozen.close();
    assertThat(onHealthy.failed.get()).as("failed on the healthy edge: " + onHealthy.failures).isZero();
    assertThat(onFrozen.failed.get()).as("failed on the frozen edge: " + onFrozen.failures).isZero();
    System.out.printf("MEASURED membership: frozen %d ms; after SIGCONT the purge made meanwhile was in force in %d ms,"
            + " the config change in %d ms, the edge was back in the cluster in %d ms and a new purge was acked by it"
            + " %d ms after SIGCONT (took %s ms, the next ones %s ms); healthy edge %d served / %d failed; frozen edge %d served / %d failed"
            + " (slowest %d ms)%n",
        frozenMs, purgeCaughtUpMs, configCaughtUpMs, rejoinedMs, purgeReachedMs, reached.getValue("tookMs"), tookMs,
        onHealthy.served.get(), onHealthy.failed.get(), onFrozen.served.get(), onFrozen.failed.get(),
        onFrozen.slowestMs.get());
  }
}
