package dev.kasoku.launcher.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.cacheedge.cluster.PeerAuth;
import dev.kasoku.cacheedge.cluster.PeerProtocol;
import dev.kasoku.common.config.ConfigLoader;
import dev.kasoku.common.model.EdgeMember;
import dev.kasoku.common.model.Ids;
import dev.kasoku.common.store.redis.RedisStore;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.FreePorts;
import dev.kasoku.common.testing.TestRedis;
import dev.kasoku.launcher.Launcher;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.RequestOptions;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two clustered edge processes (two clustered launchers in one JVM, Hazelcast on loopback, the test
 * Redis) configured only through their environment: each records itself in the store's edge table
 * with its own peer port (KASOKU_PEER_PORT=0: a free one, on KASOKU_CLUSTER_HOST), which answers
 * requests signed under KASOKU_SECRET_KEY and refuses unsigned ones; a stopped edge leaves the table.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ClusteredEdgesMembershipTest {
  private static final String SECRET = "e2e-secret-key-with-at-least-32-characters!";

  @TempDir Path dataDir;
  private Vertx vertx;
  private HttpClient http;
  private RedisStore store;
  private final List<Launcher> nodes = new ArrayList<>();
  private final List<String> names = new ArrayList<>();
  private final List<Integer> edgePorts = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    http = vertx.createHttpClient();
    store = RedisStore.create(vertx, TestRedis.url());
    List<Integer> hz = FreePorts.take(2);
    List<Integer> ports = FreePorts.take(4);
    String members = "127.0.0.1:" + hz.get(0) + ",127.0.0.1:" + hz.get(1);
    String run = Ids.random(6);
    for (int i = 0; i < 2; i++) {
      // node ids of this run only: the test Redis's edge table is shared with every other clustered test
      names.add("edge-" + run + "-" + i);
      edgePorts.add(ports.get(i));
      Map<String, String> env = new HashMap<>();
      env.put("KASOKU_SERVICES", "cache-edge");
      env.put("KASOKU_NODE_ID", names.get(i));
      env.put("KASOKU_CLUSTER", "true");
      env.put("KASOKU_CLUSTER_HOST", "127.0.0.1");
      env.put("KASOKU_CLUSTER_PORT", String.valueOf(hz.get(i)));
      env.put("KASOKU_CLUSTER_MEMBERS", members);
      env.put("KASOKU_REDIS_URL", TestRedis.url());
      env.put("KASOKU_DATA_DIR", dataDir.resolve("node" + i).toString());
      env.put("KASOKU_BIND_ADDRESS", "127.0.0.1");
      env.put("KASOKU_API_PORT", "0");
      env.put("KASOKU_EDGE_PORT", String.valueOf(ports.get(i)));
      env.put("KASOKU_EDGE_TLS_PORT", String.valueOf(ports.get(2 + i)));
      env.put("KASOKU_PEER_PORT", "0");
      env.put("KASOKU_SECRET_KEY", SECRET);
      env.put("KASOKU_SHUTDOWN_GRACE", "1s");
      env.put("KASOKU_EDGE_WARMUP", "1s");
      nodes.add(Launcher.start(ConfigLoader.load(env)).await(90, TimeUnit.SECONDS));
    }
  }

  @AfterEach
  void stop() throws Exception {
    for (Launcher n : nodes) {
      n.stop().await(30, TimeUnit.SECONDS);
    }
    for (String name : names) {
      Await.result(store.edgeMembers().remove(name));
    }
    Await.result(store.close());
    Await.result(vertx.close());
  }

  private List<EdgeMember> ours() {
    return Await.result(store.edgeMembers().live()).stream().filter(m -> names.contains(m.node())).toList();
  }

  private HttpClientResponse ask(EdgeMember m, String key, MultiMap headers) {
    RequestOptions o = new RequestOptions().setHost(m.peerHost()).setPort(m.peerPort())
        .setURI(PeerProtocol.OBJECT_PATH + "?key=" + URLEncoder.encode(key, StandardCharsets.UTF_8));
    return Await.result(http.request(o).compose(r -> {
      r.headers().addAll(headers);
      return r.send();
    }).compose(r -> r.body().map(b -> r)));
  }

  @Test
  void eachEdgeRecordsItsOwnAuthenticatedPeerPortAndAStoppedEdgeLeavesTheTable() throws Exception {
    List<EdgeMember> members = ours();
    assertThat(members).extracting(EdgeMember::node).containsExactlyElementsOf(names.stream().sorted().toList());
    PeerAuth signer = new PeerAuth(SECRET.getBytes(StandardCharsets.UTF_8), Clock.systemUTC(), Duration.ofSeconds(5));
    for (EdgeMember m : members) {
      assertThat(m.peerHost()).as("bound on KASOKU_CLUSTER_HOST").isEqualTo("127.0.0.1");
      assertThat(m.peerPort()).as("its own port, not a public one").isPositive().isNotIn(edgePorts);
      String key = "t:s:GET:www.example.com/nothing";
      assertThat(ask(m, key, MultiMap.caseInsensitiveMultiMap()).statusCode()).isEqualTo(401);
      MultiMap signed = MultiMap.caseInsensitiveMultiMap();
      signer.sign(signed, "GET", key, "e2e-test");
      HttpClientResponse miss = ask(m, key, signed);
      assertThat(miss.statusCode()).isEqualTo(404);
      assertThat(miss.getHeader(PeerProtocol.RESULT)).isEqualTo(PeerProtocol.MISS);
      assertThat(miss.getHeader(PeerProtocol.OWNER)).isEqualTo(m.node());
    }

    nodes.remove(1).stop().await(30, TimeUnit.SECONDS);

    assertThat(ours()).as("a clean stop removes the edge at once, not after its lease")
        .extracting(EdgeMember::node).containsExactly(names.get(0));
  }
}
