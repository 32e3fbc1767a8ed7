package dev.kasoku.cacheedge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.cacheedge.testing.EdgeHarness;
import dev.kasoku.cacheedge.testing.EdgeHarness.Resp;
import dev.kasoku.cacheedge.testing.TestOrigin;
import dev.kasoku.common.testing.Await;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Request collapsing: one origin request per missing key, bounded waits, no serialisation of uncacheable URLs. */
class CollapsingTest {
  private EdgeHarness h;

  @AfterEach
  void tearDown() {
    h.close();
  }

  private List<Resp> concurrently(int n, String path) {
    List<Future<Resp>> all = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      all.add(h.sendAsync(HttpMethod.GET, "c.example.com", path, null));
    }
    Await.result(Future.all(all));
    return all.stream().map(Future::result).toList();
  }

  @Test
  void concurrentMissesForOneKeyCauseOneOriginRequest() {
    h = new EdgeHarness(s -> s.withInstances(2));
    TestOrigin origin = h.origin().handle(req -> h.vertx.setTimer(300, t ->
        req.response().putHeader("Cache-Control", "max-age=60").end("shared")));
    h.site("c.example.com", origin, null);

    List<Resp> rs = concurrently(20, "/one");

    assertThat(rs).allSatisfy(r -> {
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.text()).isEqualTo("shared");
    });
    assertThat(origin.count()).isEqualTo(1);
  }

  @Test
  void uncacheableResponseReleasesWaitersToFetchInParallel() {
    h = new EdgeHarness();
    TestOrigin origin = h.origin().handle(req -> h.vertx.setTimer(400, t ->
        req.response().putHeader("Cache-Control", "private").end("mine")));
    h.site("c.example.com", origin, null);

    long start = System.nanoTime();
    List<Resp> rs = concurrently(6, "/private");
    long ms = (System.nanoTime() - start) / 1_000_000;

    assertThat(rs).allSatisfy(r -> assertThat(r.text()).isEqualTo("mine"));
    assertThat(origin.count()).isEqualTo(6);
    // leader 400 ms, then every waiter at once: far less than 6 x 400 ms in series
    assertThat(ms).isLessThan(1600);
  }

  @Test
  void waitersGiveUpAfterTheBoundedWaitAndFetchThemselves() {
    h = new EdgeHarness(s -> s.withTimeouts(300, 1000, 8000));
    TestOrigin origin = h.origin();
    origin.handle(req -> {
      if (origin.count() == 1) {
        h.vertx.setTimer(6000, t -> req.response().putHeader("Cache-Control", "max-age=60").end("slow"));
      } else {
        req.response().putHeader("Cache-Control", "max-age=60").end("quick");
      }
    });
    h.site("c.example.com", origin, null);

    Future<Resp> leader = h.sendAsync(HttpMethod.GET, "c.example.com", "/slow", null);
    sleep(100);
    Resp waiter = h.get("c.example.com", "/slow");

    assertThat(waiter.text()).isEqualTo("quick");
    assertThat(leader.isComplete()).as("the waiter did not wait for the slow leader").isFalse();
    assertThat(Await.result(leader).text()).isEqualTo("slow");
  }

  @Test
  void twoListenerInstancesShareOneStorage() {
    h = new EdgeHarness(s -> s.withInstances(2));
    TestOrigin origin = h.origin().respond(200, "x", "Cache-Control", "max-age=60");
    h.site("c.example.com", origin, null);

    for (int i = 0; i < 6; i++) {
      h.send(HttpMethod.GET, "c.example.com", "/shared", null, "Connection", "close");
    }
    assertThat(origin.count()).isEqualTo(1);
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * A HEAD for a stale object is passed to the origin, and the flight it leads for the key lands at
   * once. The engine once left that flight in the table, so every later request for the key waited
   * the whole collapse wait on a flight nobody would land.
   */
  @Test
  void headOfAStaleObjectDoesNotHoldLaterRequestsOnItsFlight() {
    h = new EdgeHarness(s -> s.withTimeouts(20_000, s.connectTimeoutMs(), s.readTimeoutMs()));
    TestOrigin origin = h.origin().handle(req -> req.response().putHeader("Cache-Control", "max-age=1").end("v"));
    h.site("c.example.com", origin, null);
    h.get("c.example.com", "/stale");
    h.clock.advance(Duration.ofSeconds(5));
    assertThat(h.send(HttpMethod.HEAD, "c.example.com", "/stale", null).status()).isEqualTo(200);

    long start = System.nanoTime();
    Resp r = h.get("c.example.com", "/stale");
    long ms = (System.nanoTime() - start) / 1_000_000;

    assertThat(r.status()).isEqualTo(200);
    assertThat(ms).as("not held for the collapse wait (20 s)").isLessThan(10_000);
  }
}
