package dev.kasoku.cacheedge.cluster;

import static dev.kasoku.common.testing.Await.result;
import static dev.kasoku.common.testing.Await.until;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.bus.RecordCodec;
import dev.kasoku.common.store.Store;
import dev.kasoku.common.store.redis.RedisStore;
import dev.kasoku.common.testing.RedisServerProcess;
import dev.kasoku.common.testing.TempStores;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Membership against real stores: the bus announcement makes a join or a leave known before the
 * next heartbeat, and a store outage (a private redis-server, killed and restarted) neither keeps
 * an edge from starting nor empties its view.
 */
class MembershipTest {
  private static final Duration NEVER = Duration.ofHours(1);
  private Vertx vertx;
  private final List<Membership> started = new ArrayList<>();
  private final List<AutoCloseable> closing = new ArrayList<>();

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    RecordCodec.registerAll(vertx);
  }

  @AfterEach
  void stop() throws Exception {
    for (Membership m : started) {
      result(m.stop());
    }
    for (AutoCloseable c : closing) {
      c.close();
    }
    result(vertx.close());
  }

  private Membership member(Store store, String node, Duration heartbeat, Duration lease) {
    Membership m = new Membership(vertx, store.edgeMembers(), Clock.systemUTC(), node, "127.0.0.1:" + (20000 + started.size()),
        heartbeat, lease);
    started.add(m);
    result(m.start());
    return m;
  }

  private Store embedded() {
    Path dir = TempStores.newDirectory();
    Store s = TempStores.embedded(vertx, dir);
    closing.add(() -> {
      result(s.close());
      TempStores.deleteRecursively(dir);
    });
    return s;
  }


  @Test
  void aJoinAndACleanLeaveReachTheOthersOnTheBusBeforeTheirNextHeartbeat() {
    Store store = embedded();
    // heartbeats an hour apart: only the announcements can bring the change
    Membership a = member(store, "edge-a", NEVER, NEVER.multipliedBy(2));
    assertThat(a.view().nodes()).containsExactly("edge-a");
    Membership b = member(store, "edge-b", NEVER, NEVER.multipliedBy(2));
    assertThat(b.view().nodes()).containsExactly("edge-a", "edge-b");
    until("edge-a hears of edge-b", () -> a.view().nodes().size() == 2);
    started.remove(b);
    result(b.stop());
    until("edge-a hears edge-b leave", () -> a.view().nodes().equals(List.of("edge-a")));
  }

  @Test
  void aStoreDownAtStartDoesNotKeepTheEdgeFromStartingAndItJoinsWhenTheStoreReturns() {
    RedisServerProcess redis = RedisServerProcess.start();
    closing.add(redis);
    redis.kill();
    RedisStore store = new RedisStore(vertx, redis.url(), "kasoku", Duration.ofMillis(500), Clock.systemUTC());
    closing.add(() -> result(store.close()));

    Membership a = member(store, "edge-a", Duration.ofMillis(100), Duration.ofSeconds(2));

    assertThat(a.view().nodes()).as("nobody known: every key is this edge's own").isEmpty();
    assertThat(a.view().ownsLocally("acme:www:GET:www.example.com/")).isTrue();
    assertThat(a.failing()).isTrue();
    redis.restart();
    until("edge-a records itself once the store is back", () -> a.view().nodes().equals(List.of("edge-a")));
    assertThat(a.failing()).isFalse();
  }

  @Test
  void aStoreOutageKeepsTheLastViewInsteadOfEmptyingIt() {
    RedisServerProcess redis = RedisServerProcess.start();
    closing.add(redis);
    RedisStore store = new RedisStore(vertx, redis.url(), "kasoku", Duration.ofMillis(500), Clock.systemUTC());
    closing.add(() -> result(store.close()));
    Membership a = member(store, "edge-a", Duration.ofMillis(100), Duration.ofSeconds(2));
    member(store, "edge-b", Duration.ofMillis(100), Duration.ofSeconds(2));
    until("edge-a sees both", () -> a.view().nodes().size() == 2);

    redis.kill();

    until("edge-a notices the outage", a::failing);
    assertThat(a.view().nodes()).containsExactly("edge-a", "edge-b");
  }
}
