package dev.kasoku.common.store.embedded;

import static dev.kasoku.common.testing.Await.failure;
import static dev.kasoku.common.testing.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.model.Ids;
import dev.kasoku.common.model.SiteVersion;
import dev.kasoku.common.model.Tenant;
import dev.kasoku.common.model.TenantRole;
import dev.kasoku.common.model.User;
import dev.kasoku.common.store.HostnameConflictException;
import dev.kasoku.common.store.Store;
import dev.kasoku.common.store.StoreUnavailableException;
import dev.kasoku.common.store.StatsStore;
import dev.kasoku.common.testing.MutableClock;
import dev.kasoku.common.testing.TempStores;
import io.vertx.core.Vertx;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What only the embedded store must prove: durability across restarts and crashes, and disposal. */
class EmbeddedStoreDurabilityTest {
  private static Vertx vertx;
  private Path dir;
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
  void newDirectory() {
    dir = TempStores.newDirectory();
  }

  @AfterEach
  void deleteDirectory() {
    TempStores.deleteRecursively(dir);
  }

  private Tenant tenant(String id) {
    return new Tenant(id, id, "standard", List.of(), t0);
  }

  @Test
  void everyAcknowledgedWriteSurvivesCloseAndReopen() {
    Store store = TempStores.embedded(vertx, dir);
    result(store.tenants().createTenant(tenant("acme")));
    SiteVersion site = result(store.sites().put("acme", "www", List.of("www.acme.example"), "{}", "a", t0));
    long seq = result(store.purgeLog().append(new dev.kasoku.common.model.PurgeRecord(0, "p1", "acme",
        dev.kasoku.common.bus.Messages.PurgeScope.ALL, List.of(), false, "a", t0))).seq();
    result(store.stats().fold("b1", t0, List.of(new StatsStore.Delta("acme", "www", Map.of("requests", 3L)))));
    result(store.close());

    Store reopened = TempStores.embedded(vertx, dir);
    try {
      assertThat(result(reopened.tenants().getTenant("acme"))).contains(tenant("acme"));
      assertThat(result(reopened.sites().current("acme", "www"))).contains(site);
      assertThat(result(reopened.sites().resolveHost("www.acme.example"))).isPresent();
      assertThat(result(reopened.purgeLog().lastSeq())).isEqualTo(seq);
      assertThat(result(reopened.stats().range("acme", "www", StatsStore.Resolution.MINUTE, t0, t0.plusSeconds(60), 60))
          .of("requests")).containsExactly(3);
      assertThat(result(reopened.stats().fold("b1", t0, List.of(new StatsStore.Delta("acme", "www", Map.of("requests", 3L))))))
          .as("a batch folded before the restart is still recognised").isFalse();
      // the sequence continues after a restart instead of starting over
      assertThat(result(reopened.purgeLog().append(new dev.kasoku.common.model.PurgeRecord(0, "p2", "acme",
          dev.kasoku.common.bus.Messages.PurgeScope.ALL, List.of(), false, "a", t0))).seq()).isEqualTo(seq + 1);
    } finally {
      result(reopened.close());
    }
  }

  /**
   * A real crash: a child JVM writes in a loop and is killed with SIGKILL (no shutdown hook, no
   * close). Every write whose Future had completed before the kill must be there after reopening.
   */
  @Test
  void acknowledgedWritesSurviveAProcessKilledWithoutClosingTheStore() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child = new ProcessBuilder(java, "-Xmx128m", "-cp", System.getProperty("java.class.path"),
        CrashWriter.class.getName(), dir.toString())
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    int lastAcked = -1;
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      String line;
      while ((line = out.readLine()) != null && System.nanoTime() < deadline) {
        if (line.startsWith("acked ")) {
          lastAcked = Integer.parseInt(line.substring(6));
          if (lastAcked >= 150) {
            break;
          }
        }
      }
      // SIGKILL through the handle: Process.destroyForcibly would also close our end of the pipe
      child.toHandle().destroyForcibly();
      // acks already printed before the kill landed still count
      while ((line = out.readLine()) != null) {
        if (line.startsWith("acked ")) {
          lastAcked = Integer.parseInt(line.substring(6));
        }
      }
    } finally {
      child.destroyForcibly();
      child.waitFor(10, TimeUnit.SECONDS);
    }
    assertThat(lastAcked).as("the child acknowledged writes").isGreaterThanOrEqualTo(150);

    Store reopened = TempStores.embedded(vertx, dir);
    try {
      List<Tenant> tenants = result(reopened.tenants().listTenants());
      for (int i = 0; i <= lastAcked; i++) {
        assertThat(result(reopened.tenants().getTenant("crash-" + i))).as("acked tenant crash-" + i).isPresent();
      }
      assertThat(tenants.size()).isBetween(lastAcked + 1, lastAcked + 2);
    } finally {
      result(reopened.close());
    }
  }

  @Test
  void aRefusedPutLeavesNothingOnDisk() {
    Store store = TempStores.embedded(vertx, dir);
    result(store.sites().put("acme", "www", List.of("taken.example"), "{}", "a", t0));
    assertThat(failure(store.sites().put("evil", "x", List.of("free.example", "taken.example"), "{}", "e", t0)))
        .isInstanceOf(HostnameConflictException.class);
    // a later successful write commits; the refused put's changes must not ride along with it
    result(store.tenants().createTenant(tenant("later")));
    result(store.close());

    Store reopened = TempStores.embedded(vertx, dir);
    try {
      assertThat(result(reopened.sites().resolveHost("free.example"))).isEmpty();
      assertThat(result(reopened.sites().current("evil", "x"))).isEmpty();
      assertThat(result(reopened.sites().resolveHost("taken.example"))).isPresent();
      assertThat(result(reopened.tenants().getTenant("later"))).isPresent();
    } finally {
      result(reopened.close());
    }
  }

  /** CONTROLS 11.2.7: the erased tenant's bytes are gone from the data directory, not just unindexed. */
  @Test
  void eraseTenantLeavesNoTraceOfItsBytesInTheDataDirectory() throws IOException {
    String secret = "SECRET-" + Ids.random(16);
    Store store = TempStores.embedded(vertx, dir);
    try {
      result(store.tenants().createTenant(tenant("gone")));
      result(store.tenants().createTenant(tenant("stays")));
      result(store.tenants().createUser(new User("gone", "alice", TenantRole.ADMIN, secret, 1, t0, t0)));
      for (int v = 0; v < 5; v++) {
        result(store.sites().put("gone", "www", List.of("www.gone.example"), "{\"k\":\"" + secret + v + "\"}", "a", t0));
      }
      result(store.sites().put("stays", "www", List.of("www.stays.example"), "{\"k\":\"kept\"}", "a", t0));
      assertThat(directoryContains(secret)).as("sanity: the secret is on disk before the erase").isTrue();

      result(store.eraseTenant("gone"));

      assertThat(directoryContains(secret)).as("erased bytes left on disk").isFalse();
      assertThat(directoryContains("www.gone.example")).isFalse();
      try (Stream<Path> files = Files.list(dir)) {
        assertThat(files.map(p -> p.getFileName().toString())).containsExactly(EmbeddedStore.FILE);
      }
      // the store keeps working on the rewritten file
      assertThat(result(store.sites().current("stays", "www"))).isPresent();
      result(store.tenants().createTenant(tenant("after")));
    } finally {
      result(store.close());
    }
    Store reopened = TempStores.embedded(vertx, dir);
    try {
      assertThat(result(reopened.tenants().listTenants())).extracting(Tenant::id).containsExactly("after", "stays");
    } finally {
      result(reopened.close());
    }
  }

  /** A crash between the two renames of the rewrite: the complete copy becomes the store, the old file is shredded. */
  @Test
  void openFinishesARewriteInterruptedBetweenItsRenames() throws IOException {
    Store store = TempStores.embedded(vertx, dir);
    result(store.tenants().createTenant(tenant("acme")));
    result(store.close());
    Path main = dir.resolve(EmbeddedStore.FILE);
    Files.copy(main, dir.resolve(EmbeddedStore.FILE + ".new"));
    Files.move(main, dir.resolve(EmbeddedStore.FILE + ".erased"));

    Store reopened = TempStores.embedded(vertx, dir);
    try {
      assertThat(result(reopened.tenants().getTenant("acme"))).isPresent();
      try (Stream<Path> files = Files.list(dir)) {
        assertThat(files.map(p -> p.getFileName().toString())).containsExactly(EmbeddedStore.FILE);
      }
    } finally {
      result(reopened.close());
    }
  }

  @Test
  void aSecondStoreOnTheSameDirectoryIsRefused() {
    Store store = TempStores.embedded(vertx, dir);
    try {
      assertThat(failure(EmbeddedStore.open(vertx, dir))).isInstanceOf(StoreUnavailableException.class);
      result(store.ping());
    } finally {
      result(store.close());
    }
  }

  @Test
  void callsAfterCloseFailAsUnavailable() {
    Store store = TempStores.embedded(vertx, dir);
    result(store.close());
    assertThat(failure(store.ping())).isInstanceOf(StoreUnavailableException.class);
  }

  /**
   * Expired counters and markers, stats buckets past their resolution's retention and old folded
   * batch ids are removed from the file, not just hidden.
   */
  @Test
  void housekeepingDropsExpiredAccessStateAndStatsPastRetention() {
    MutableClock clock = new MutableClock(t0);
    EmbeddedStore store = result(EmbeddedStore.open(vertx, dir, clock));
    try {
      result(store.access().incrementCounter("acme", "short", Duration.ofMinutes(1)));
      result(store.access().incrementCounter("acme", "long", Duration.ofHours(1)));
      result(store.access().putMarker(null, "lock", t0.plusSeconds(30)));
      result(store.stats().fold("b1", t0, List.of(new StatsStore.Delta("acme", "www", Map.of("requests", 1L)))));
      clock.advance(Duration.ofMinutes(2));

      result(store.maintain());
      assertThat(rawKeys(store, "t:acme:access")).containsExactly("c:long");
      assertThat(rawKeys(store, EmbeddedStore.G_ACCESS)).isEmpty();
      assertThat(statsResolutions(store)).containsExactly("d", "h", "m", "s");

      clock.advance(Duration.ofMinutes(14));
      result(store.maintain());
      assertThat(statsResolutions(store)).as("1 s buckets are kept 15 minutes").containsExactly("d", "h", "m");
      assertThat(rawKeys(store, EmbeddedStats.FOLDED)).containsExactly("b1");

      clock.advance(Duration.ofDays(8));
      result(store.maintain());
      assertThat(statsResolutions(store)).as("1 min buckets are kept 8 days").containsExactly("d", "h");
      assertThat(rawKeys(store, EmbeddedStats.FOLDED)).as("folded batch ids are kept an hour").isEmpty();
      assertThat(result(store.access().getCounter("acme", "long"))).isZero();

      clock.advance(Duration.ofDays(392));
      result(store.maintain());
      assertThat(statsResolutions(store)).as("1 h buckets are kept 400 days").containsExactly("d");

      clock.advance(StatsStore.Resolution.DAY.retention().minusDays(400));
      result(store.maintain());
      assertThat(statsResolutions(store)).as("1 d buckets are kept 3 years").isEmpty();
      assertThat(rawKeys(store, "t:acme:stats-sites")).isEmpty();
    } finally {
      result(store.close());
    }
  }

  private static List<String> statsResolutions(EmbeddedStore store) {
    return rawKeys(store, "t:acme:stats").stream().map(k -> ((String) k).substring(0, 1)).distinct().sorted().toList();
  }

  private static List<Object> rawKeys(EmbeddedStore store, String map) {
    return result(store.read(() -> {
      org.h2.mvstore.MVMap<Object, Object> m = store.existing(map);
      return m == null ? List.of() : new java.util.ArrayList<>(m.keySet());
    }));
  }

  private boolean directoryContains(String text) throws IOException {
    byte[] needle = text.getBytes(StandardCharsets.UTF_8);
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : files.toList()) {
        if (indexOf(Files.readAllBytes(p), needle) >= 0) {
          return true;
        }
      }
    }
    return false;
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i <= hay.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  /**
   * Vert.x 5 interrupts the blocking task that is running for a context when that context closes
   * (a role undeployed at shutdown). An interrupt closes a {@code FileChannel} for good, so a store
   * operation running for a role that goes away must not be tied to that role's context, or every
   * other role would lose the shared store with it.
   */
  @Test
  void aRoleUndeployedWhileItsWritesRunLeavesTheStoreWorkingForTheOthers() {
    Store store = TempStores.embedded(vertx, dir);
    try {
      result(store.tenants().createTenant(tenant("acme")));
      for (int round = 0; round < 8; round++) {
        int r = round;
        String id = result(vertx.deployVerticle(new io.vertx.core.VerticleBase() {
          @Override
          public io.vertx.core.Future<?> start() {
            for (int i = 0; i < 40; i++) {
              store.notifications().append(new dev.kasoku.common.model.Notification(
                  "n-" + r + "-" + i, "acme", t0, "test", "write " + i));
            }
            return io.vertx.core.Future.succeededFuture();
          }
        }));
        result(vertx.undeploy(id));
      }
      result(store.notifications().append(
          new dev.kasoku.common.model.Notification("after", "acme", t0, "test", "after the undeploys")));
      assertThat(result(store.notifications().list("acme", 1000))).extracting(n -> n.id()).contains("after");
      result(store.close());
    } finally {
      store.close();
    }
    Store reopened = TempStores.embedded(vertx, dir);
    try {
      assertThat(result(reopened.notifications().list("acme", 1000))).extracting(n -> n.id()).contains("after");
    } finally {
      result(reopened.close());
    }
  }
}
