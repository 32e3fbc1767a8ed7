package dev.kasoku.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.testing.TestRedis;
import dev.kasoku.launcher.KasokuProcesses.Node;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rolling restart of every edge under load, on the real jar: a control process and two edges
 * behind a small round-robin balancer in the test with four kept-alive clients. One edge after the
 * other is taken out of rotation while it has slow requests in flight, sent SIGTERM, restarted on
 * the same ports and put back once it is ready and serving. No request fails: the stopping edge
 * answers what it has (its last answer on each connection says {@code Connection: close}) and
 * exits 0, and the other edge carries the rest.
 *
 * <p>Bounded: three processes, four client threads on loopback for at most 150 s, each wait polled
 * up to a deadline; the fixture stops every process, passed or failed.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class RollingRestartIT {
  @TempDir Path work;
  private KasokuProcesses cluster;

  @AfterEach
  void stopEverything() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void everyEdgeRestartedInTurnUnderLoadFailsNoRequest() throws Exception {
    cluster = new KasokuProcesses("RollingRestartIT", work, TestRedis.url(), 3);
    Node control = cluster.node("control", "auth,config,purge,logging,metrics");
    Node edge1 = cluster.node("edge-1", "cache-edge");
    Node edge2 = cluster.node("edge-2", "cache-edge");
    cluster.startAll(control, edge1, edge2);
    cluster.createTenantAndSite(control, "Rolling restart IT");
    for (Node edge : List.of(edge1, edge2)) {
      cluster.awaitEdge(edge, "/load/0", Duration.ofSeconds(30), a -> a.status() == 200);
    }

    KasokuProcesses.EdgeBalancer balancer = cluster.new EdgeBalancer(List.of(edge1, edge2), 4, 150);
    List<String> steps = new ArrayList<>();
    for (Node edge : List.of(edge1, edge2)) {
      assertThat(KasokuProcesses.eventually(Duration.ofSeconds(30), () -> balancer.slowInFlight(edge) > 0))
          .as("a slow request in flight to %s; failures %s", edge, balancer.failures).isTrue();
      long closedBefore = balancer.closedByEdge.get();
      balancer.remove(edge);
      long signalled = System.nanoTime();
      int exit = cluster.terminate(edge);
      long exitedMs = (System.nanoTime() - signalled) / 1_000_000;
      assertThat(exit).as("%s exits 0 after SIGTERM:\n%s", edge, edge.output()).isZero();
      long drained = balancer.closedByEdge.get() - closedBefore;

      cluster.start(edge);
      cluster.awaitReady(edge);
      cluster.awaitEdge(edge, "/load/0", Duration.ofSeconds(30), a -> a.status() == 200);
      long servedBefore = balancer.servedBy(edge);
      balancer.add(edge);
      assertThat(KasokuProcesses.eventually(Duration.ofSeconds(30), () -> balancer.servedBy(edge) > servedBefore + 5))
          .as("%s serves again through the balancer", edge).isTrue();
      long backMs = (System.nanoTime() - signalled) / 1_000_000;
      steps.add(String.format("%s exited %d ms after SIGTERM with %d requests answered while draining, back in"
          + " rotation %d ms after it", edge, exitedMs, drained, backMs));
    }
    balancer.close();

    assertThat(balancer.failed.get()).as("failed requests: " + balancer.failures).isZero();
    assertThat(balancer.closedByEdge.get()).as("requests in flight were answered by a draining edge").isPositive();
    System.out.printf("MEASURED rolling restart: %d served / %d failed through the balancer (%d refused at connect,"
            + " %d sent again after a kept-alive connection closed); %s%n",
        balancer.served.get(), balancer.failed.get(), balancer.refused.get(), balancer.resent.get(),
        String.join("; ", steps));
  }
}
