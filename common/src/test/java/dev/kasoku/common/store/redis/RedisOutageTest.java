package dev.kasoku.common.store.redis;

import static dev.kasoku.common.testing.Await.failure;
import static dev.kasoku.common.testing.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.http.Problems;
import dev.kasoku.common.model.HostBinding;
import dev.kasoku.common.model.SiteVersion;
import dev.kasoku.common.model.Tenant;
import dev.kasoku.common.store.StoreUnavailableException;
import dev.kasoku.common.testing.RedisServerProcess;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Redis going away mid-run, against a private {@code redis-server} this test starts, kills and
 * restarts (never the shared test Redis): calls fail fast with {@link StoreUnavailableException},
 * an atomic write is applied wholly or not at all, API callers get 503 problem+json, and the same
 * store object works again when Redis returns.
 */
class RedisOutageTest {
  private static final Duration CALL_TIMEOUT = Duration.ofMillis(500);
  /** A failing call must come back within the call timeout plus scheduling slack on a loaded CI machine. */
  private static final long FAIL_FAST_MS = CALL_TIMEOUT.toMillis() + 1500;
  private static Vertx vertx;
  private RedisServerProcess server;
  private RedisStore store;
  private Redis admin;
  private final Instant t0 = Instant.parse("2026-11-25T10:00:00Z");

  @BeforeAll
  static void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stopVertx() {
    result(vertx.close());
  }

  @BeforeEach
  void startRedis() {
    server = RedisServerProcess.start();
    store = new RedisStore(vertx, server.url(), RedisStore.DEFAULT_ROOT, CALL_TIMEOUT, Clock.systemUTC());
    admin = Redis.createClient(vertx, server.url());
  }

  @AfterEach
  void stopRedis() {
    result(admin.close());
    result(store.close());
    server.close();
  }

  @Test
  void callsFailFastWhileRedisIsDownAndTheSameStoreWorksAgainWhenItReturns() {
    assertThat(result(store.tenants().createTenant(tenant("before")))).isTrue();

    server.kill();

    for (int i = 0; i < 5; i++) {
      long start = System.nanoTime();
      Throwable e = failure(i % 2 == 0 ? store.tenants().getTenant("before") : store.ping());
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertThat(e).isInstanceOf(StoreUnavailableException.class);
      assertThat(ms).as("call %d failed after %d ms", i, ms).isLessThan(FAIL_FAST_MS);
    }
    assertThat(failure(store.sites().put("acme", "www", List.of("www.acme.example"), "{}", "a", t0)))
        .isInstanceOf(StoreUnavailableException.class);

    server.restart();

    // the same object, not recreated: it reconnects by itself within its backoff (at most 1 s)
    awaitReachable(store);
    assertThat(result(store.tenants().createTenant(tenant("after")))).isTrue();
    assertThat(result(store.tenants().getTenant("after"))).isPresent();
    SiteVersion v = result(store.sites().put("acme", "www", List.of("www.acme.example"), "{}", "a", t0));
    assertThat(v.version()).isEqualTo(1);
  }

  /**
   * The put's script is queued in a paused Redis when the caller gives up (503); when Redis
   * resumes it runs the script, entirely: the caller must treat "unavailable" as "maybe applied",
   * but never finds half a put.
   */
  @Test
  void aSitePutThatTimedOutInAPausedRedisIsAppliedWhollyOnceRedisResumes() {
    result(store.sites().put("acme", "www", List.of("a.example", "b.example"), "{\"v\":1}", "a", t0));
    long epoch = result(store.sites().changeEpoch());

    pauseWrites();
    Throwable e = failure(store.sites().put("acme", "www", List.of("b.example", "c.example"), "{\"v\":2}", "a", t0));
    assertThat(e).isInstanceOf(StoreUnavailableException.class);
    unpause();

    awaitReachable(store);
    assertWholeVersion2(epoch);
  }

  /**
   * The connection carrying the put is killed while the script waits in a paused Redis: Redis
   * drops the queued script, and nothing of the put exists.
   */
  @Test
  void aSitePutWhoseConnectionDiesBeforeRedisRunsItLeavesNoTrace() {
    result(store.sites().put("acme", "www", List.of("a.example", "b.example"), "{\"v\":1}", "a", t0));
    long epoch = result(store.sites().changeEpoch());

    pauseWrites();
    Throwable e = failure(store.sites().put("acme", "www", List.of("b.example", "c.example"), "{\"v\":2}", "a", t0));
    assertThat(e).isInstanceOf(StoreUnavailableException.class);
    // kill every client connection but the admin's: the queued EVALSHA goes with it
    result(admin.send(Request.cmd(Command.CLIENT).arg("KILL").arg("TYPE").arg("normal").arg("SKIPME").arg("yes")));
    unpause();

    awaitReachable(store);
    assertThat(result(store.sites().versions("acme", "www"))).extracting(SiteVersion::version).containsExactly(1L);
    assertThat(result(store.sites().current("acme", "www"))).map(SiteVersion::hostnames)
        .contains(List.of("a.example", "b.example"));
    assertThat(result(store.sites().resolveHost("a.example"))).map(HostBinding::site).contains("www");
    assertThat(result(store.sites().resolveHost("c.example"))).isEmpty();
    assertThat(result(store.sites().changeEpoch())).isEqualTo(epoch);
    // and the same store carries on
    assertWholeVersion2After(result(store.sites().put("acme", "www", List.of("b.example", "c.example"), "{\"v\":2}", "a", t0)), epoch);
  }

  /**
   * Redis closing the connection under a command still waiting for its answer (Redis stopping, a
   * proxy dropping it): the client fails the command with its own CONNECTION_CLOSED error, which once
   * surfaced as an internal error (a 500 to an API call) instead of unavailability.
   */
  @Test
  void aCallWhoseConnectionClosesBeforeItsAnswerIsUnavailability() throws Exception {
    RedisStore patient = new RedisStore(vertx, server.url(), RedisStore.DEFAULT_ROOT, Duration.ofSeconds(10),
        Clock.systemUTC());
    try {
      Future<Response> blocked = patient.send(Request.cmd(Command.BLPOP).arg("kasoku-test-never-pushed").arg(0));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (!result(admin.send(Request.cmd(Command.CLIENT).arg("LIST"))).toString().contains("cmd=blpop")) {
        assertThat(System.nanoTime()).as("BLPOP reached Redis").isLessThan(deadline);
        Thread.sleep(20);
      }
      result(admin.send(Request.cmd(Command.CLIENT).arg("KILL").arg("TYPE").arg("normal").arg("SKIPME").arg("yes")));
      assertThat(failure(blocked)).isInstanceOf(StoreUnavailableException.class);
    } finally {
      result(patient.close());
    }
  }

  @Test
  void anApiRouteWhoseStoreCallFailsAnswers503ProblemJson() {
    Router router = Router.router(vertx);
    router.get("/tenants/:id").handler(ctx -> store.tenants().getTenant(ctx.pathParam("id"))
        .onSuccess(t -> ctx.json(new JsonObject().put("found", t.isPresent())))
        .onFailure(ctx::fail));
    router.route().failureHandler(Problems.failureHandler());
    HttpServer http = result(vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
    WebClient client = WebClient.create(vertx);
    try {
      assertThat(get(client, http.actualPort()).statusCode()).isEqualTo(200);

      server.kill();
      HttpResponse<Buffer> down = get(client, http.actualPort());
      assertThat(down.statusCode()).isEqualTo(503);
      assertThat(down.getHeader("Content-Type")).startsWith(Problems.CONTENT_TYPE);
      JsonObject problem = down.bodyAsJsonObject();
      assertThat(problem.getInteger("status")).isEqualTo(503);
      assertThat(problem.getString("type")).endsWith("/unavailable");

      server.restart();
      awaitReachable(store);
      assertThat(get(client, http.actualPort()).statusCode()).isEqualTo(200);
    } finally {
      client.close();
      result(http.close());
    }
  }

  // --- helpers --------------------------------------------------------------------------------

  private HttpResponse<Buffer> get(WebClient client, int port) {
    return result(client.get(port, "127.0.0.1", "/tenants/acme").send());
  }

  private Tenant tenant(String id) {
    return new Tenant(id, id, "standard", List.of(), t0);
  }

  private void pauseWrites() {
    // WRITE mode: reads (the put's HGET of the current version) pass, scripts wait
    result(admin.send(Request.cmd(Command.CLIENT).arg("PAUSE").arg(10_000).arg("WRITE")));
  }

  private void unpause() {
    result(admin.send(Request.cmd(Command.CLIENT).arg("UNPAUSE")));
  }

  private void assertWholeVersion2(long epochBefore) {
    Optional<SiteVersion> current = result(store.sites().current("acme", "www"));
    assertThat(current).isPresent();
    assertWholeVersion2After(current.get(), epochBefore);
  }

  /** Every effect of the second put is there: version, history, claim, release, epoch. */
  private void assertWholeVersion2After(SiteVersion v2, long epochBefore) {
    assertThat(v2.version()).isEqualTo(2);
    assertThat(v2.hostnames()).containsExactly("b.example", "c.example");
    assertThat(result(store.sites().versions("acme", "www"))).extracting(SiteVersion::version).containsExactly(1L, 2L);
    assertThat(result(store.sites().resolveHost("a.example"))).isEmpty();
    assertThat(result(store.sites().resolveHost("b.example"))).map(HostBinding::site).contains("www");
    assertThat(result(store.sites().resolveHost("c.example"))).map(HostBinding::site).contains("www");
    assertThat(result(store.sites().changeEpoch())).isEqualTo(epochBefore + 1);
  }

  private static void awaitReachable(RedisStore store) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (true) {
      try {
        result(store.ping());
        return;
      } catch (StoreUnavailableException e) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("the store did not reconnect within 10 s", e);
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(ie);
        }
      }
    }
  }
}
