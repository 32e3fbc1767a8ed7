package dev.kasoku.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MultiMapConfig;
import dev.kasoku.auth.testing.AuthNode;
import dev.kasoku.auth.testing.ShiftedClock;
import dev.kasoku.common.bus.RecordCodec;
import dev.kasoku.common.model.Ids;
import dev.kasoku.common.store.redis.RedisStore;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.FreePorts;
import dev.kasoku.common.testing.TempStores;
import dev.kasoku.common.testing.TestRedis;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Two processes' worth of Kasoku in one JVM: two clustered Vert.x instances (Hazelcast, TCP-IP on
 * loopback), each with its own Redis store client on the same key root and its own API node; only
 * the first runs the auth service. A token logged out through the first is refused by the second
 * within 1 s, although the second had just verified (and cached) it.
 */
class ClusteredRevocationTest {

  @Test
  void aTokenRevokedOnOneClusterMemberIsRefusedByTheOtherWithinOneSecond() {
    String cluster = "kasoku-test-" + Ids.random(8);
    int portA = FreePorts.next();
    int portB = FreePorts.next();
    List<String> members = List.of("127.0.0.1:" + portA, "127.0.0.1:" + portB);
    String root = TestRedis.randomRoot();
    Path dirA = TempStores.newDirectory();
    Path dirB = TempStores.newDirectory();
    Vertx a = clustered(cluster, portA, members);
    Vertx b = clustered(cluster, portB, members);
    ShiftedClock clock = new ShiftedClock();
    RedisStore storeA = new RedisStore(a, TestRedis.url(), root, Duration.ofSeconds(5), clock);
    RedisStore storeB = new RedisStore(b, TestRedis.url(), root, Duration.ofSeconds(5), clock);
    try {
      AuthNode nodeA = AuthNode.start(a, storeA, clock, dirA, Map.of(), true);
      AuthNode nodeB = AuthNode.start(b, storeB, clock, dirB, Map.of(), false);
      AuthNode.TenantAdmin t = nodeA.createTenant("Cluster");
      nodeA.createUser(t.id(), t.adminKey(), "kim", "correct-Horse-7-battery", "viewer");
      String token = nodeA.token(t.id(), "kim", "correct-Horse-7-battery");
      String sites = "/v1/tenants/" + t.id() + "/sites";
      assertThat(nodeB.http.get(sites, token).status()).isEqualTo(501);

      assertThat(nodeA.http.post("/v1/auth/logout", token, null).status()).isEqualTo(204);
      long start = System.nanoTime();
      int status;
      do {
        status = nodeB.http.get(sites, token).status();
      } while (status != 401 && (System.nanoTime() - start) / 1_000_000 < 1000);
      assertThat(status).isEqualTo(401);
      nodeA.stop();
      nodeB.stop();
    } finally {
      Await.result(storeA.close());
      Await.result(storeB.close());
      TestRedis.deleteAll(a, root);
      Await.result(b.close());
      Await.result(a.close());
      TempStores.deleteRecursively(dirA);
      TempStores.deleteRecursively(dirB);
    }
  }

  private static Vertx clustered(String name, int port, List<String> members) {
    Config hz = new Config().setClusterName(name);
    hz.setProperty("hazelcast.shutdownhook.enabled", "false");
    hz.setProperty("hazelcast.phone.home.enabled", "false");
    hz.setProperty("hazelcast.logging.type", "jdk");
    hz.setProperty("hazelcast.wait.seconds.before.join", "1");
    hz.setProperty("hazelcast.max.wait.seconds.before.join", "2");
    hz.addMultiMapConfig(new MultiMapConfig("__vertx.subs").setBackupCount(1)
        .setValueCollectionType(MultiMapConfig.ValueCollectionType.SET));
    hz.addMapConfig(new MapConfig("__vertx.haInfo").setBackupCount(1));
    hz.addMapConfig(new MapConfig("__vertx.nodeInfo").setBackupCount(1));
    hz.getNetworkConfig().setPort(port).setPortAutoIncrement(false);
    hz.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
    JoinConfig join = hz.getNetworkConfig().getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setConnectionTimeoutSeconds(2).setMembers(members);
    Vertx vertx = Await.result(Vertx.builder()
        .with(new VertxOptions().setEventBusOptions(new EventBusOptions().setHost("127.0.0.1").setPort(0)))
        .withClusterManager(new HazelcastClusterManager(hz))
        .buildClustered(), 60_000);
    RecordCodec.registerAll(vertx);
    return vertx;
  }
}
