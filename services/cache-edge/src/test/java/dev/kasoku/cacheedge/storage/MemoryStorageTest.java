package dev.kasoku.cacheedge.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.cacheedge.policy.CacheControl;
import dev.kasoku.cacheedge.policy.CompiledSite;
import dev.kasoku.cacheedge.policy.Freshness;
import dev.kasoku.cacheedge.policy.KeyFormat;
import dev.kasoku.cacheedge.policy.TargetedControls;
import dev.kasoku.cacheedge.policy.VaryKey;
import dev.kasoku.common.site.SiteConfig;
import dev.kasoku.common.testing.FakeTicker;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The in-memory storage: byte budget, freed memory, bounded variants, tag index and purge operations. */
class MemoryStorageTest {
  private static final CompiledSite SITE = CompiledSite.compile("acme", "www",
      SiteConfig.parse("{\"hostnames\":[\"www.example.com\"],\"origins\":[{\"url\":\"http://o.example.com\"}]}"));
  private MemoryStorage storage;

  @AfterEach
  void tearDown() {
    storage.close();
  }

  private StoredObject object(String tenant, String primary, String secondary, VaryKey vary, int size,
                              List<String> tags, String path) {
    BodyWriter w = storage.newBody(size);
    w.append(Buffer.buffer(new byte[size]));
    Body body = w.finish();
    MultiMap h = HttpHeaders.headers().add("Cache-Control", "max-age=60");
    Instant now = Instant.parse("2026-01-01T00:00:00Z");
    Freshness f = Freshness.compute(200, h, TargetedControls.ofCacheControl(CacheControl.of(h)), SITE,
        SITE.ruleFor("/"), now, now);
    return new StoredObject(primary, secondary, tenant, "www.example.com", path, 200, h, vary, f, tags,
        storage.generation(tenant), false, body);
  }

  private StoredObject plain(String key, int size, String... tags) {
    return object("acme", key, VaryKey.NONE, VaryKey.of(HttpHeaders.headers()), size, List.of(tags), "/" + key);
  }

  @Test
  void weightedSizeStaysWithinTheBudget() {
    storage = new MemoryStorage(1 << 20, 256 * 1024, 32);
    for (int i = 0; i < 200; i++) {
      storage.put(plain("k" + i, 16 * 1024));
    }
    var stats = storage.stats();
    assertThat(stats.weightedBytes()).isLessThanOrEqualTo(1 << 20);
    assertThat(stats.entries()).isLessThan(200).isGreaterThan(10);
    assertThat(stats.evictions()).isPositive();
  }

  @Test
  void evictedBodiesAreFreed() {
    storage = new MemoryStorage(512 * 1024, 256 * 1024, 32);
    List<StoredObject> all = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      StoredObject o = plain("e" + i, 32 * 1024);
      all.add(o);
      storage.put(o);
    }
    storage.stats();
    long freed = all.stream().filter(o -> o.body().isFreed()).count();
    long live = all.stream().filter(o -> !o.body().isFreed()).count();
    assertThat(freed).isPositive();
    assertThat(live).isEqualTo(storage.stats().entries());
    storage.close();
    assertThat(all).allSatisfy(o -> assertThat(o.body().isFreed()).isTrue());
    storage = new MemoryStorage(1024, 1024, 1);
  }

  @Test
  void readerKeepsAnEvictedBodyAliveUntilItReleases() {
    storage = new MemoryStorage(1 << 20, 256 * 1024, 32);
    StoredObject o = plain("r", 1000);
    storage.put(o);
    assertThat(o.body().tryRetain()).isTrue();
    storage.invalidate(new Selection.Key("acme", "r"), false);

    assertThat(o.body().isFreed()).isFalse();
    assertThat(o.body().toBytes()).hasSize(1000);
    o.body().release();
    assertThat(o.body().isFreed()).isTrue();
    assertThat(o.body().tryRetain()).isFalse();
  }

  @Test
  void variantsPerUrlAreBoundedOldestFirst() {
    storage = new MemoryStorage(8 << 20, 256 * 1024, 3);
    VaryKey vary = VaryKey.of(HttpHeaders.headers().add("Vary", "Accept-Language"));
    for (String lang : List.of("a", "b", "c", "d", "e")) {
      String sk = vary.secondaryKey(HttpHeaders.headers().add("Accept-Language", lang));
      storage.put(object("acme", "url", sk, vary, 100, List.of(), "/url"));
    }
    List<String> present = new ArrayList<>();
    for (String lang : List.of("a", "b", "c", "d", "e")) {
      String sk = vary.secondaryKey(HttpHeaders.headers().add("Accept-Language", lang));
      if (storage.get(KeyFormat.full("url", sk)) != null) {
        present.add(lang);
      }
    }
    assertThat(present).containsExactly("c", "d", "e");
    assertThat(storage.varyOf("url")).isNotNull();
  }

  @Test
  void tagIndexShrinksWhenTaggedObjectsAreEvicted() {
    storage = new MemoryStorage(256 * 1024, 64 * 1024, 32);
    for (int i = 0; i < 100; i++) {
      storage.put(plain("t" + i, 16 * 1024, "tag-" + i, "common"));
    }
    var stats = storage.stats();
    // every indexed key belongs to a live object: at most 2 tags per live entry
    assertThat(stats.taggedKeys()).isLessThanOrEqualTo(2 * stats.entries());
    assertThat(stats.tags()).isLessThanOrEqualTo(stats.entries() + 1);
    storage.invalidate(new Selection.Tenant("acme"), false);
    assertThat(storage.stats().tags()).isZero();
  }

  @Test
  void untaggedObjectsAddNothingToTheTagIndex() {
    storage = new MemoryStorage(1 << 20, 64 * 1024, 32);
    for (int i = 0; i < 50; i++) {
      storage.put(plain("u" + i, 100));
    }
    assertThat(storage.stats().tags()).isZero();
  }

  @Test
  void invalidationBySelectionStaysWithinTheTenant() {
    storage = new MemoryStorage(1 << 20, 64 * 1024, 32);
    storage.put(object("acme", "acme:a", "", VaryKey.of(HttpHeaders.headers()), 10, List.of("x"), "/static/a"));
    storage.put(object("acme", "acme:b", "", VaryKey.of(HttpHeaders.headers()), 10, List.of(), "/static/b"));
    storage.put(object("other", "other:a", "", VaryKey.of(HttpHeaders.headers()), 10, List.of("x"), "/static/a"));

    assertThat(storage.invalidate(new Selection.Tag("acme", "x"), false)).isEqualTo(1);
    assertThat(storage.get("other:a")).isNotNull();
    assertThat(storage.invalidate(new Selection.Prefix("acme", "www.example.com", "/static/"), true)).isEqualTo(1);
    assertThat(storage.get("acme:b").forcedStale()).isTrue();
    assertThat(storage.invalidate(new Selection.Host("acme", "www.example.com"), false)).isEqualTo(1);
    assertThat(storage.get("acme:b")).isNull();
    assertThat(storage.get("other:a")).isNotNull();
  }

  @Test
  void bumpingTheGenerationHidesEverythingStoredBefore() {
    storage = new MemoryStorage(1 << 20, 64 * 1024, 32);
    storage.put(plain("g", 10));
    storage.bumpGeneration("acme");
    assertThat(storage.get("g")).isNull();
    storage.put(plain("g", 10));
    assertThat(storage.get("g")).isNotNull();
  }

  // ------------------------------------------------------------ tag purge: markers, lazy reclaim

  private void reclaimAll() {
    int steps = 0;
    while (storage.reclaim(1000, Long.MAX_VALUE)) {
      assertThat(++steps).as("reclaim terminates").isLessThan(10_000);
    }
  }

  private List<StoredObject> fillTagged(int n, String tag) {
    List<StoredObject> all = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      StoredObject o = plain("p" + i, 100, tag, "page-" + i);
      all.add(o);
      storage.put(o);
    }
    return all;
  }

  @Test
  void hardTagPurgeHidesEveryTaggedObjectAtOnceAndCountsThem() {
    storage = new MemoryStorage(64 << 20, 64 * 1024, 32);
    fillTagged(5000, "bulk");
    storage.put(plain("untagged", 100));

    assertThat(storage.invalidate(new Selection.Tag("acme", "bulk"), false)).isEqualTo(5000);

    var stats = storage.stats();
    assertThat(stats.pendingReclaim()).as("applied as a marker, nothing removed yet").isEqualTo(5000);
    assertThat(stats.tagMarkers()).isEqualTo(1);
    for (int i = 0; i < 5000; i++) {
      assertThat(storage.get("p" + i)).isNull();
    }
    assertThat(storage.get("untagged")).isNotNull();
  }

  /** A reclaim step ends at its deadline, measured with the storage's ticker (here moved by hand). */
  @Test
  void reclaimStepStopsAtItsTimeBudget() {
    FakeTicker ticker = new FakeTicker().advanceOnEveryRead(Duration.ofMillis(1));
    storage = new MemoryStorage(64 << 20, 64 * 1024, 32, ticker);
    fillTagged(100, "bulk");
    storage.invalidate(new Selection.Tag("acme", "bulk"), false);

    // the deadline is read at 0 ms and checked every 16 keys: at 1 ms (in time), then 2 ms (past 1.5 ms)
    assertThat(storage.reclaim(4096, Duration.ofMillis(1).toNanos() + Duration.ofMillis(1).toNanos() / 2))
        .as("more is left").isTrue();
    assertThat(storage.stats().pendingReclaim()).isEqualTo(100 - 32);
    reclaimAll();
    assertThat(storage.stats().pendingReclaim()).isZero();
  }

  @Test
  void lazyReclaimFreesMemoryAndIndexesInBoundedStepsThenDropsTheMarker() {
    storage = new MemoryStorage(64 << 20, 64 * 1024, 32);
    List<StoredObject> all = fillTagged(3000, "bulk");
    VaryKey vary = VaryKey.of(HttpHeaders.headers().add("Vary", "Accept-Language"));
    String sk = vary.secondaryKey(HttpHeaders.headers().add("Accept-Language", "de"));
    storage.put(object("acme", "varied", sk, vary, 100, List.of("bulk"), "/varied"));

    assertThat(storage.invalidate(new Selection.Tag("acme", "bulk"), false)).isEqualTo(3001);
    assertThat(storage.stats().entries()).as("memory is reclaimed later, not by the purge").isEqualTo(3001);

    assertThat(storage.reclaim(1000, Long.MAX_VALUE)).as("one step does at most 1000 objects").isTrue();
    assertThat(storage.stats().pendingReclaim()).isEqualTo(2001);
    assertThat(storage.stats().entries()).isEqualTo(2001);
    reclaimAll();

    var stats = storage.stats();
    assertThat(stats.entries()).isZero();
    assertThat(stats.pendingReclaim()).isZero();
    assertThat(stats.taggedKeys()).isZero();
    assertThat(stats.tags()).isZero();
    assertThat(stats.varyingUrls()).as("the Vary index follows").isZero();
    assertThat(stats.tagMarkers()).as("every object older than the marker is gone: so is the marker").isZero();
    assertThat(all).allSatisfy(o -> assertThat(o.body().isFreed()).isTrue());
  }

  @Test
  void objectStoredAfterTheTagPurgeIsServedAndSurvivesTheReclaim() {
    storage = new MemoryStorage(64 << 20, 64 * 1024, 32);
    fillTagged(100, "bulk");
    storage.invalidate(new Selection.Tag("acme", "bulk"), false);
    // re-fetched before the reclaim reached it
    storage.put(plain("p7", 100, "bulk"));
    assertThat(storage.get("p7")).isNotNull();

    reclaimAll();
    assertThat(storage.get("p7")).isNotNull();
    assertThat(storage.get("p8")).isNull();
    assertThat(storage.stats().entries()).isEqualTo(1);
    assertThat(storage.stats().tagMarkers()).isZero();
    assertThat(storage.invalidate(new Selection.Tag("acme", "bulk"), false))
        .as("a second purge counts only what was stored since the first").isEqualTo(1);
    assertThat(storage.get("p7")).isNull();
  }

  @Test
  void softTagPurgeServesObjectsMarkedStaleUntilRevalidated() {
    storage = new MemoryStorage(64 << 20, 64 * 1024, 32);
    fillTagged(200, "bulk");

    assertThat(storage.invalidate(new Selection.Tag("acme", "bulk"), true)).isEqualTo(200);
    assertThat(storage.get("p1").forcedStale()).as("stale before the reclaim").isTrue();
    reclaimAll();
    assertThat(storage.stats().tagMarkers()).isZero();
    assertThat(storage.stats().entries()).as("soft purge keeps the objects").isEqualTo(200);
    assertThat(storage.get("p1").forcedStale()).as("still stale once the marker is gone").isTrue();
    assertThat(storage.invalidate(new Selection.Tag("acme", "bulk"), true))
        .as("already stale objects are not counted again").isZero();

    // the engine's 304 path: the revalidated head replaces the stale object
    StoredObject stale = storage.get("p1");
    assertThat(stale.body().tryRetain()).isTrue();
    storage.put(stale.withHead(stale.headers(), stale.freshness(), stale.tags()));
    assertThat(storage.get("p1").forcedStale()).isFalse();

    assertThat(storage.invalidate(new Selection.Tag("acme", "bulk"), false))
        .as("a hard purge takes the stale objects too").isEqualTo(200);
    reclaimAll();
    assertThat(storage.stats().entries()).isZero();
    assertThat(storage.stats().taggedKeys()).isZero();
  }

  @Test
  void softThenHardTagPurgeBeforeTheReclaimRemovesTheObjects() {
    storage = new MemoryStorage(64 << 20, 64 * 1024, 32);
    fillTagged(500, "bulk");
    assertThat(storage.invalidate(new Selection.Tag("acme", "bulk"), true)).isEqualTo(500);
    storage.reclaim(100, Long.MAX_VALUE);
    assertThat(storage.invalidate(new Selection.Tag("acme", "bulk"), false)).as("the 100 already marked stale")
        .isEqualTo(100);
    assertThat(storage.get("p400")).isNull();
    reclaimAll();
    var stats = storage.stats();
    assertThat(stats.entries()).isZero();
    assertThat(stats.taggedKeys()).isZero();
    assertThat(stats.tagMarkers()).isZero();
  }

  @Test
  void tagMarkerNeverReachesAnotherTenantsSameNamedTag() {
    storage = new MemoryStorage(64 << 20, 64 * 1024, 32);
    for (int i = 0; i < 50; i++) {
      storage.put(object("acme", "acme:" + i, "", VaryKey.of(HttpHeaders.headers()), 10, List.of("x"), "/" + i));
      storage.put(object("other", "other:" + i, "", VaryKey.of(HttpHeaders.headers()), 10, List.of("x"), "/" + i));
    }
    assertThat(storage.invalidate(new Selection.Tag("acme", "x"), false)).isEqualTo(50);
    assertThat(storage.invalidate(new Selection.Tag("nobody", "x"), false)).isZero();
    for (int i = 0; i < 50; i++) {
      assertThat(storage.get("acme:" + i)).isNull();
      assertThat(storage.get("other:" + i)).isNotNull().satisfies(o -> assertThat(o.forcedStale()).isFalse());
    }
    reclaimAll();
    assertThat(storage.stats().entries()).isEqualTo(50);
    assertThat(storage.stats().taggedKeys()).isEqualTo(50);
    assertThat(storage.invalidate(new Selection.Tag("other", "x"), false)).isEqualTo(50);
  }

  @Test
  void objectMarkedStaleByAPrefixPurgeIsStillFoundByItsTag() {
    storage = new MemoryStorage(64 << 20, 64 * 1024, 32);
    storage.put(plain("a", 10, "x"));
    assertThat(storage.invalidate(new Selection.Prefix("acme", "www.example.com", "/a"), true)).isEqualTo(1);
    assertThat(storage.invalidate(new Selection.Tag("acme", "x"), true)).as("already stale").isZero();
    assertThat(storage.invalidate(new Selection.Tag("acme", "x"), false)).isEqualTo(1);
    assertThat(storage.get("a")).isNull();
    reclaimAll();
    assertThat(storage.stats().entries()).isZero();
    assertThat(storage.stats().taggedKeys()).isZero();
  }

  @Test
  void purgeOfATagNothingCarriesLeavesNoMarker() {
    storage = new MemoryStorage(64 << 20, 64 * 1024, 32);
    storage.put(plain("a", 10, "y"));
    assertThat(storage.invalidate(new Selection.Tag("acme", "x"), false)).isZero();
    assertThat(storage.stats().tagMarkers()).isZero();
    assertThat(storage.stats().pendingReclaim()).isZero();
    assertThat(storage.get("a")).isNotNull();
  }

  @Test
  void tagIndexStaysWithinTheCacheAcrossPurgesRefetchesAndEviction() {
    storage = new MemoryStorage(512 * 1024, 64 * 1024, 32);
    for (int round = 0; round < 5; round++) {
      for (int i = 0; i < 200; i++) {
        storage.put(plain("t" + i, 4 * 1024, "bulk", "tag-" + i));
      }
      storage.invalidate(new Selection.Tag("acme", "bulk"), round % 2 == 0);
      storage.reclaim(50, Long.MAX_VALUE);
    }
    reclaimAll();
    var stats = storage.stats();
    assertThat(stats.taggedKeys()).isLessThanOrEqualTo(2 * stats.entries());
    assertThat(stats.tags()).isLessThanOrEqualTo(stats.entries() + 1);
    assertThat(stats.tagMarkers()).isZero();
    storage.invalidate(new Selection.Tenant("acme"), false);
    assertThat(storage.stats().tags()).isZero();
    assertThat(storage.stats().taggedKeys()).isZero();
  }

  /**
   * Stores, lookups, tag purges and reclaim steps from several threads at once: afterwards the tag
   * index holds exactly the stored objects carrying the tag (a purge counts each once, none is
   * left behind for a marker to be dropped over) and no marker or pending key remains.
   */
  @Test
  void tagIndexStaysExactUnderConcurrentStoresPurgesAndReclaim() throws Exception {
    storage = new MemoryStorage(64 << 20, 64 * 1024, 32);
    int keys = 300;
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    List<Thread> writers = new ArrayList<>();
    for (int w = 0; w < 3; w++) {
      int seed = w;
      Thread t = new Thread(() -> {
        java.util.Random random = new java.util.Random(seed);
        while (!stop.get()) {
          String key = "c" + random.nextInt(keys);
          int shape = random.nextInt(4);
          StoredObject o = switch (shape) {
            case 0 -> plain(key, 50);
            case 1 -> plain(key, 50, "bulk");
            case 2 -> plain(key, 50, "bulk", "other");
            default -> plain(key, 50, "other");
          };
          storage.put(random.nextInt(5) == 0 ? o.markedStale() : o);
          storage.get("c" + random.nextInt(keys));
        }
      });
      t.start();
      writers.add(t);
    }
    java.util.Random random = new java.util.Random(42);
    for (int i = 0; i < 2000; i++) {
      storage.invalidate(new Selection.Tag("acme", random.nextBoolean() ? "bulk" : "other"), random.nextBoolean());
      storage.reclaim(1 + random.nextInt(50), Long.MAX_VALUE);
    }
    stop.set(true);
    for (Thread t : writers) {
      t.join();
    }
    reclaimAll();
    assertThat(storage.stats().tagMarkers()).isZero();
    assertThat(storage.stats().pendingReclaim()).isZero();

    int carrying = 0;
    int fresh = 0;
    for (int i = 0; i < keys; i++) {
      StoredObject o = storage.get("c" + i);
      if (o != null && o.tags().contains("bulk")) {
        carrying++;
        fresh += o.forcedStale() ? 0 : 1;
      }
    }
    assertThat(storage.invalidate(new Selection.Tag("acme", "bulk"), true)).as("soft: the fresh ones").isEqualTo(fresh);
    reclaimAll();
    assertThat(storage.invalidate(new Selection.Tag("acme", "bulk"), false)).as("hard: all").isEqualTo(carrying);
    reclaimAll();
    for (int i = 0; i < keys; i++) {
      StoredObject o = storage.get("c" + i);
      assertThat(o == null || !o.tags().contains("bulk")).isTrue();
    }
    storage.invalidate(new Selection.Tenant("acme"), false);
    var stats = storage.stats();
    assertThat(stats.entries()).isZero();
    assertThat(stats.taggedKeys()).isZero();
    assertThat(stats.tagMarkers()).isZero();
  }

  @Test
  void bodyOverTheLimitIsNeverKept() {
    storage = new MemoryStorage(1 << 20, 1000, 32);
    BodyWriter w = storage.newBody(-1);
    assertThat(w.append(Buffer.buffer(new byte[600]))).isTrue();
    assertThat(w.append(Buffer.buffer(new byte[600]))).isFalse();
    assertThat(w.finish()).isNull();
    assertThat(storage.newBody(5000).alive()).isFalse();
  }
}
