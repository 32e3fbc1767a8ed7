package dev.kasoku.bench;

import dev.kasoku.cacheedge.storage.MemoryStorage;
import dev.kasoku.cacheedge.storage.Storage;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.Locale;

/**
 * Memory per cached object: fills the edge's {@link MemoryStorage} with {@code --objects} small
 * objects (default 1,000,000 of {@code --body} = 1024 bytes; headers as an nginx origin sends them,
 * see {@link BenchObjects}) and reports, per object, the heap it costs (keys, heads, index and
 * Caffeine nodes: heap used after a full GC, minus before) and the off-heap memory (direct memory
 * the storage's pooled allocator holds for bodies: small bodies' slabs with their free slots, larger
 * bodies' chunks, and the pool's slack), next to the body size itself, and the weight the storage
 * charges its budget, which should be within a few bytes of heap plus off-heap (the budget's
 * per-entry constant, {@code StoredObject.ENTRY_OVERHEAD}, comes from this measurement).
 *
 * <p>Run (from the repository root):
 * <pre>
 *   mvn -B -q -o -pl bench -am package -DskipTests
 *   java -Xms4g -Xmx4g -cp bench/target/kasoku-bench.jar dev.kasoku.bench.EdgeMemoryBench --objects 1000000 --body 1024
 *   java -Xms2g -Xmx2g -cp bench/target/kasoku-bench.jar dev.kasoku.bench.EdgeMemoryBench --objects 200000 --body 1024
 * </pre>
 * (the second is the run docs/performance.md compares across changes).
 * {@code --hold 60} keeps the filled storage alive a minute for {@code jcmd <pid> GC.class_histogram}.
 * Heap figures come from {@link MemoryMXBean} after several full collections; they are estimates to
 * a few bytes per object, not an exact object census.
 */
public final class EdgeMemoryBench {
  private EdgeMemoryBench() {}

  public static void main(String[] args) {
    int objects = intArg(args, "--objects", 1_000_000);
    int bodySize = intArg(args, "--body", 1024);
    MemoryMXBean mem = ManagementFactory.getMemoryMXBean();

    // a budget large enough that nothing is evicted: this measures cost per object, not eviction
    MemoryStorage storage = new MemoryStorage(Long.MAX_VALUE / 4, 64L << 20, MemoryStorage.DEFAULT_MAX_VARIANTS);
    io.vertx.core.buffer.Buffer body = BenchObjects.body(bodySize, 7);
    long heap0 = heapAfterGc(mem);
    long direct0 = storage.usedDirectMemory();
    long t0 = System.nanoTime();
    java.time.Instant now = java.time.Instant.now();
    for (int i = 0; i < objects; i++) {
      storage.put(BenchObjects.object(storage, BenchObjects.key(i), BenchObjects.path(i), body, now));
    }
    long fillNs = System.nanoTime() - t0;
    long heap1 = heapAfterGc(mem);
    long direct1 = storage.usedDirectMemory();
    Storage.StorageStats stats = storage.stats();
    if (stats.entries() != objects) {
      throw new IllegalStateException("stored " + stats.entries() + " of " + objects);
    }
    double heapPer = (double) (heap1 - heap0) / objects;
    double directPer = (double) (direct1 - direct0) / objects;
    System.out.printf(Locale.ROOT, "objects            %,d of %d-byte bodies (filled in %.1f s)%n", objects, bodySize, fillNs / 1e9);
    System.out.printf(Locale.ROOT, "heap per object    %.0f bytes (heap after GC %,d -> %,d)%n", heapPer, heap0, heap1);
    System.out.printf(Locale.ROOT, "off-heap per obj   %.0f bytes (direct memory %,d -> %,d)%n", directPer, direct0, direct1);
    System.out.printf(Locale.ROOT, "total per object   %.0f bytes = body %d + overhead %.0f (%.0f%%)%n",
        heapPer + directPer, bodySize, heapPer + directPer - bodySize, 100 * (heapPer + directPer - bodySize) / bodySize);
    System.out.printf(Locale.ROOT, "budget charged     %.0f bytes per object (weighted size %,d)%n",
        (double) stats.weightedBytes() / objects, stats.weightedBytes());
    System.out.printf(Locale.ROOT, "JVM                %s %s, max heap %,d%n", System.getProperty("java.vm.name"),
        System.getProperty("java.version"), Runtime.getRuntime().maxMemory());
    int hold = intArg(args, "--hold", 0);
    if (hold > 0) {
      // time to look inside with: jcmd <pid> GC.class_histogram
      System.out.printf(Locale.ROOT, "holding %d s (pid %d)%n", hold, ProcessHandle.current().pid());
      java.util.concurrent.locks.LockSupport.parkNanos(hold * 1_000_000_000L);
    }
    storage.close();
  }

  static long heapAfterGc(MemoryMXBean mem) {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 4; i++) {
      mem.gc();
      used = Math.min(used, mem.getHeapMemoryUsage().getUsed());
    }
    return used;
  }

  static int intArg(String[] args, String name, int dflt) {
    for (int i = 0; i < args.length - 1; i++) {
      if (args[i].equals(name)) {
        return Integer.parseInt(args[i + 1].replace("_", ""));
      }
    }
    return dflt;
  }

  static long bytesArg(String[] args, String name, long dflt) {
    for (int i = 0; i < args.length - 1; i++) {
      if (args[i].equals(name)) {
        String v = args[i + 1].toLowerCase(Locale.ROOT);
        long mult = v.endsWith("g") ? 1L << 30 : v.endsWith("m") ? 1L << 20 : v.endsWith("k") ? 1L << 10 : 1;
        return Long.parseLong(mult == 1 ? v : v.substring(0, v.length() - 1)) * mult;
      }
    }
    return dflt;
  }
}
