package dev.kasoku.bench;

import com.sun.management.GarbageCollectionNotificationInfo;
import dev.kasoku.cacheedge.policy.CacheControl;
import dev.kasoku.cacheedge.policy.Freshness;
import dev.kasoku.cacheedge.storage.MemoryStorage;
import dev.kasoku.cacheedge.storage.StoredObject;
import io.vertx.core.buffer.Buffer;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;
import org.HdrHistogram.Histogram;

/**
 * Lookup latency and GC with a full cache: fills a {@link MemoryStorage} of {@code --budget} (default
 * 2 GiB) with {@code --body}-byte objects until it evicts, then runs {@code --threads} threads for
 * {@code --seconds} doing what the edge does per request at the storage: compute the key with the
 * policy's CacheKey for a Zipf(0.99)-drawn URL out of a key space 1.2 times what fits (so the tail
 * misses, refills and keeps eviction busy), look it up, and on a hit check freshness and take and
 * drop a body reference; on a miss store a new object (the fill). Reports the hit-path latency
 * percentiles (p50/p99/p99.9/max, microseconds, from HdrHistogram), the miss-path ones, and every GC
 * pause during the run (count, total, max) from the JVM's GC notifications.
 *
 * <p>This isolates the storage and key path in one JVM; the HTTP-level figure under the same full
 * budget comes from {@code bench/edge-compare/run.sh} with {@code KASOKU_EDGE_MEMORY=2g}.
 *
 * <p>Run (from the repository root):
 * <pre>
 *   mvn -B -q -o -pl bench -am package -DskipTests
 *   java -Xms4g -Xmx4g -cp bench/target/kasoku-bench.jar dev.kasoku.bench.EdgeGcBench --budget 2g --body 1024 --threads 2 --seconds 30
 * </pre>
 */
public final class EdgeGcBench {
  private EdgeGcBench() {}

  public static void main(String[] args) throws InterruptedException {
    long budget = EdgeMemoryBench.bytesArg(args, "--budget", 2L << 30);
    int bodySize = EdgeMemoryBench.intArg(args, "--body", 1024);
    int threads = EdgeMemoryBench.intArg(args, "--threads", 2);
    int seconds = EdgeMemoryBench.intArg(args, "--seconds", 30);
    Buffer body = BenchObjects.body(bodySize, 3);

    MemoryStorage storage = new MemoryStorage(budget, 64L << 20, MemoryStorage.DEFAULT_MAX_VARIANTS);
    long t0 = System.nanoTime();
    int n = 0;
    while (true) {
      Instant now = Instant.now();
      for (int i = 0; i < 10_000; i++, n++) {
        storage.put(BenchObjects.object(storage, BenchObjects.key(n), BenchObjects.path(n), body, now));
      }
      if (storage.stats().evictions() > 0) {
        break;
      }
    }
    long capacity = storage.stats().entries();
    int keySpace = (int) (capacity * 12 / 10);
    System.out.printf(Locale.ROOT, "filled %,d objects of %d bytes in %.1f s; %,d fit in the %,d-byte budget; key space %,d%n",
        n, bodySize, (System.nanoTime() - t0) / 1e9, capacity, budget, keySpace);

    Zipf zipf = new Zipf(keySpace, Zipf.DEFAULT_EXPONENT);
    ConcurrentLinkedQueue<long[]> pauses = new ConcurrentLinkedQueue<>();
    listenForGc(pauses);
    List<GarbageCollectorMXBean> gcs = ManagementFactory.getGarbageCollectorMXBeans();
    long gcCount0 = gcs.stream().mapToLong(GarbageCollectorMXBean::getCollectionCount).sum();
    long gcTime0 = gcs.stream().mapToLong(GarbageCollectorMXBean::getCollectionTime).sum();
    pauses.clear();

    Histogram hits = new Histogram(60_000_000_000L, 3);
    Histogram misses = new Histogram(60_000_000_000L, 3);
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    List<Thread> workers = new ArrayList<>();
    List<Histogram[]> perThread = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Histogram h = new Histogram(60_000_000_000L, 3);
      Histogram m = new Histogram(60_000_000_000L, 3);
      perThread.add(new Histogram[] {h, m});
      SplittableRandom random = new SplittableRandom(1000 + t);
      Thread w = new Thread(() -> {
        while (System.nanoTime() < deadline) {
          for (int k = 0; k < 1000; k++) {
            int idx = zipf.next(random);
            long s = System.nanoTime();
            String key = BenchObjects.key(idx);
            StoredObject o = storage.varyOf(key) == null ? storage.get(key) : null;
            Instant now = Instant.now();
            if (o != null && o.body().tryRetain()) {
              if (o.freshness().verdict(now, CacheControl.EMPTY) != Freshness.Verdict.FRESH) {
                throw new IllegalStateException("stored object not fresh");
              }
              o.body().release();
              h.recordValue(System.nanoTime() - s);
            } else {
              storage.put(BenchObjects.object(storage, key, BenchObjects.path(idx), body, now));
              m.recordValue(System.nanoTime() - s);
            }
          }
        }
      }, "gc-bench-" + t);
      workers.add(w);
      w.start();
    }
    for (Thread w : workers) {
      w.join();
    }
    for (Histogram[] hm : perThread) {
      hits.add(hm[0]);
      misses.add(hm[1]);
    }
    long gcCount = gcs.stream().mapToLong(GarbageCollectorMXBean::getCollectionCount).sum() - gcCount0;
    long gcTime = gcs.stream().mapToLong(GarbageCollectorMXBean::getCollectionTime).sum() - gcTime0;
    long maxPause = pauses.stream().mapToLong(p -> p[0]).max().orElse(0);
    long ops = hits.getTotalCount() + misses.getTotalCount();

    System.out.printf(Locale.ROOT, "load               %d threads, %d s: %,.0f ops/s, hit ratio %.3f%n", threads, seconds,
        ops / (double) seconds, hits.getTotalCount() / (double) ops);
    System.out.printf(Locale.ROOT, "hit latency  us    p50 %.2f  p99 %.2f  p99.9 %.2f  max %.0f%n",
        hits.getValueAtPercentile(50) / 1e3, hits.getValueAtPercentile(99) / 1e3, hits.getValueAtPercentile(99.9) / 1e3,
        hits.getMaxValue() / 1e3);
    System.out.printf(Locale.ROOT, "miss+fill us       p50 %.2f  p99 %.2f  p99.9 %.2f  max %.0f%n",
        misses.getValueAtPercentile(50) / 1e3, misses.getValueAtPercentile(99) / 1e3,
        misses.getValueAtPercentile(99.9) / 1e3, misses.getMaxValue() / 1e3);
    System.out.printf(Locale.ROOT, "GC during load     %d collections, %d ms total (%.2f%% of wall time), max pause %d ms%n",
        gcCount, gcTime, 100.0 * gcTime / (seconds * 1000.0), maxPause);
    System.out.printf(Locale.ROOT, "storage            %,d entries, %,d weighted bytes, %,d evictions, direct memory %,d%n",
        storage.stats().entries(), storage.stats().weightedBytes(), storage.stats().evictions(), storage.usedDirectMemory());
    System.out.printf(Locale.ROOT, "JVM                %s %s, max heap %,d, GC %s%n", System.getProperty("java.vm.name"),
        System.getProperty("java.version"), Runtime.getRuntime().maxMemory(),
        gcs.stream().map(GarbageCollectorMXBean::getName).toList());
    storage.close();
  }

  /** Records {durationMs} of every collection reported by the JVM. */
  private static void listenForGc(ConcurrentLinkedQueue<long[]> pauses) {
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (gc instanceof NotificationEmitter emitter) {
        emitter.addNotificationListener((notification, handback) -> {
          if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
            GarbageCollectionNotificationInfo info =
                GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
            // G1's concurrent cycle is not a pause; its young/mixed/full collections are
            if (!info.getGcName().contains("Concurrent")) {
              pauses.add(new long[] {info.getGcInfo().getDuration()});
            }
          }
        }, null, null);
      }
    }
  }
}
