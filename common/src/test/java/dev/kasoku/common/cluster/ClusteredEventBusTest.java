package dev.kasoku.common.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.config.Config;
import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages;
import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.testing.FreePorts;
import io.vertx.core.Future;
import io.vertx.core.eventbus.MessageConsumer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Three real clustered Vert.x instances in this JVM, joined over TCP-IP on loopback with an explicit
 * member list (the way local runs and tests join). A record published on the bus reaches the
 * consumers of all three; when one member leaves, the two others keep exchanging messages and see
 * the membership shrink.
 *
 * <p>Each test uses its own Hazelcast cluster name and free ports, so tests of parallel builds on the
 * same machine never join each other.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ClusteredEventBusTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private final List<ClusterNode> nodes = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (ClusterNode n : nodes) {
      n.close().await(20, TimeUnit.SECONDS);
    }
  }

  @Test
  void publishedRecordReachesEveryMemberAndClusterSurvivesOneLeaving() throws Exception {
    List<Integer> ports = FreePorts.take(3);
    List<String> members = ports.stream().map(p -> "127.0.0.1:" + p).toList();
    String clusterName = "kasoku-test-" + UUID.randomUUID();
    for (int port : ports) {
      KasokuConfig.ClusterSettings settings =
          new KasokuConfig.ClusterSettings(true, "127.0.0.1", port, members, Optional.empty(), 0);
      Config hz = ClusterBootstrap.hazelcastConfig(settings).setClusterName(clusterName)
          // fewer partitions: less migration work on join and leave, same membership behaviour
          .setProperty("hazelcast.partition.count", "23");
      nodes.add(ClusterBootstrap.startClustered(settings, hz).await(60, TimeUnit.SECONDS));
    }
    ClusterNode a = nodes.get(0);
    ClusterNode b = nodes.get(1);
    ClusterNode c = nodes.get(2);
    awaitTrue(() -> nodes.stream().allMatch(n -> n.members().size() == 3), "all three see three members");
    for (ClusterNode n : nodes) {
      assertThat(n.readiness().succeeded()).as("readiness of a joined member").isTrue();
      assertThat(n.members()).contains(n.nodeId());
    }

    ConcurrentMap<String, Messages.ConfigChanged> received = new ConcurrentHashMap<>();
    List<MessageConsumer<Messages.ConfigChanged>> consumers = new ArrayList<>();
    for (ClusterNode n : nodes) {
      consumers.add(n.vertx().eventBus().<Messages.ConfigChanged>consumer(Addresses.CONFIG_CHANGED.address(),
          m -> received.put(n.nodeId(), m.body())));
    }
    Future.all(consumers.stream().map(MessageConsumer::completion).toList()).await(10, TimeUnit.SECONDS);

    // Subscriptions propagate asynchronously to the publisher's view: publish until everyone has one.
    Messages.ConfigChanged first = new Messages.ConfigChanged("t1", "site-1", 7);
    publishUntil(a, first, () -> received.size() == 3, "the record reaches all three members");
    assertThat(received.values()).allMatch(first::equals);

    c.close().await(20, TimeUnit.SECONDS);
    nodes.remove(c);
    awaitTrue(() -> a.members().size() == 2 && b.members().size() == 2, "the survivors see two members");
    assertThat(a.members()).containsExactlyInAnyOrderElementsOf(b.members()).doesNotContain(c.nodeId());
    assertThat(a.readiness().succeeded()).isTrue();
    assertThat(b.readiness().succeeded()).isTrue();

    received.clear();
    Messages.ConfigChanged second = new Messages.ConfigChanged("t1", "site-1", 8);
    publishUntil(b, second, () -> received.containsKey(a.nodeId()) && received.containsKey(b.nodeId()),
        "the survivors still exchange published records");
    assertThat(received).containsOnlyKeys(a.nodeId(), b.nodeId());
    assertThat(received.values()).allMatch(second::equals);
  }

  /** On Linux x86_64 (this build's CI) every Kasoku Vert.x runs on Netty's epoll transport, clustered or not. */
  @Test
  void nodesUseTheNativeTransportOnLinux() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("os.name").startsWith("Linux")
        && System.getProperty("os.arch").matches("amd64|x86_64"), "epoll is bundled for Linux x86_64 only");
    ClusterNode local = ClusterBootstrap.startLocal();
    nodes.add(local);
    assertThat(local.vertx().isNativeTransportEnabled()).isTrue();
    assertThat(ClusterBootstrap.vertxOptions(new KasokuConfig.ClusterSettings(true, "127.0.0.1", 5701,
        List.of(), java.util.Optional.empty(), 0)).getPreferNativeTransport()).isTrue();
  }

  @Test
  void localNodeIsAlwaysReadyAndHasCodecs() throws Exception {
    ClusterNode local = ClusterBootstrap.startLocal();
    nodes.add(local);
    assertThat(local.clustered()).isFalse();
    assertThat(local.readiness().succeeded()).isTrue();
    Messages.TenantDeleted sent = new Messages.TenantDeleted("t9");
    Future<Messages.TenantDeleted> got = Future.future(p -> local.vertx().eventBus()
        .<Messages.TenantDeleted>consumer(Addresses.TENANT_DELETED.address(), m -> p.tryComplete(m.body()))
        .completion().onSuccess(v -> Addresses.TENANT_DELETED.publish(local.vertx().eventBus(), sent)));
    assertThat(got.await(5, TimeUnit.SECONDS)).isEqualTo(sent);
  }

  private static void publishUntil(ClusterNode from, Messages.ConfigChanged msg, BooleanSupplier done,
                                   String what) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Addresses.CONFIG_CHANGED.publish(from.vertx().eventBus(), msg);
      Thread.sleep(100);
    }
  }

  private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(50);
    }
  }
}
