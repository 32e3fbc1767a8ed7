package dev.kasoku.bench.purge;

import dev.kasoku.bench.BenchObjects;
import dev.kasoku.cacheedge.storage.MemoryStorage;
import dev.kasoku.cacheedge.storage.Selection;
import dev.kasoku.cacheedge.storage.StoredObject;
import io.vertx.core.buffer.Buffer;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/**
 * The edge's apply step of a tag purge, in process and without the cluster: a {@link MemoryStorage}
 * holding {@code tagged} objects of 512 bytes, each tagged {@code bulk} and with a tag of its own
 * (as {@link PurgeBench} fills its edges), then one {@code invalidate(Tag("bulk"))} timed in wall
 * time and in this thread's CPU time; then the lazy reclaim the purge agent runs afterwards, in the
 * agent's step size (4096 objects or 2 ms), with its total and its longest single step. Repeated
 * {@code rounds} times on a refilled storage; the first round is JIT warm-up and is reported apart.
 *
 * <p>Run (from the repository root):
 * <pre>
 * mvn -B -q -o -pl bench -am package -DskipTests
 * java -Xms2g -Xmx2g -cp bench/target/kasoku-bench.jar dev.kasoku.bench.purge.TagPurgeBench
 * # options: -Dtagged=100000 -Drounds=6 -Dsoft=false
 * </pre>
 */
public final class TagPurgeBench {
  private static final int STEP_KEYS = 4096;
  private static final long STEP_NANOS = 2_000_000;

  private TagPurgeBench() {}

  public static void main(String[] args) {
    int tagged = Integer.getInteger("tagged", 100_000);
    int rounds = Integer.getInteger("rounds", 6);
    boolean soft = Boolean.getBoolean("soft");
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    Buffer body = BenchObjects.body(512, 7);
    long[] applyWall = new long[rounds];
    long[] applyCpu = new long[rounds];
    System.out.printf("tag purge (%s) over %,d tagged objects, %d rounds (round 1 is warm-up)%n",
        soft ? "soft" : "hard", tagged, rounds);
    for (int r = 0; r < rounds; r++) {
      MemoryStorage storage = new MemoryStorage(1L << 30, 1 << 20, MemoryStorage.DEFAULT_MAX_VARIANTS);
      Instant now = Instant.now();
      for (int i = 0; i < tagged; i++) {
        StoredObject o = BenchObjects.object(storage, BenchObjects.key(i), BenchObjects.path(i), body, now);
        storage.put(new StoredObject(o.primaryKey(), o.secondaryKey(), o.tenant(), o.host(), o.path(), o.status(),
            o.headers(), o.vary(), o.freshness(), List.of("bulk", "page-" + i), o.generation(), false, o.body()));
      }
      if (storage.stats().entries() != tagged) {
        throw new IllegalStateException("storage holds " + storage.stats().entries() + " of " + tagged);
      }
      long cpu0 = threads.getCurrentThreadCpuTime();
      long t0 = System.nanoTime();
      int affected = storage.invalidate(new Selection.Tag(BenchObjects.TENANT, "bulk"), soft);
      applyWall[r] = System.nanoTime() - t0;
      applyCpu[r] = threads.getCurrentThreadCpuTime() - cpu0;
      if (affected != tagged) {
        throw new IllegalStateException("purge affected " + affected + " of " + tagged);
      }
      StoredObject after = storage.get(BenchObjects.key(tagged / 2));
      if (soft ? after == null || !after.forcedStale() : after != null) {
        throw new IllegalStateException("a purged object is still served fresh");
      }

      long rcpu0 = threads.getCurrentThreadCpuTime();
      long rt0 = System.nanoTime();
      long longestStep = 0;
      long longestStepCpu = 0;
      long[] stepCpu = new long[tagged + 1];
      int steps = 0;
      boolean more = true;
      while (more) {
        long c0 = threads.getCurrentThreadCpuTime();
        long s0 = System.nanoTime();
        more = storage.reclaim(STEP_KEYS, STEP_NANOS);
        longestStep = Math.max(longestStep, System.nanoTime() - s0);
        stepCpu[steps] = threads.getCurrentThreadCpuTime() - c0;
        longestStepCpu = Math.max(longestStepCpu, stepCpu[steps]);
        steps++;
      }
      long[] sortedCpu = Arrays.copyOf(stepCpu, steps);
      Arrays.sort(sortedCpu);
      long reclaimWall = System.nanoTime() - rt0;
      long reclaimCpu = threads.getCurrentThreadCpuTime() - rcpu0;
      var stats = storage.stats();
      System.out.printf("round %d: apply %.3f ms wall, %.3f ms CPU (%,d objects); reclaim %d steps, %.0f ms wall, "
              + "%.0f ms CPU; step CPU p50 %.2f ms, p99 %.2f ms, max %.2f ms (longest step wall %.2f ms); left: %,d "
              + "entries, %,d tagged keys, %d markers%n", r + 1, applyWall[r] / 1e6, applyCpu[r] / 1e6, affected, steps,
          reclaimWall / 1e6, reclaimCpu / 1e6, sortedCpu[steps / 2] / 1e6, sortedCpu[(int) (steps * 0.99)] / 1e6,
          longestStepCpu / 1e6, longestStep / 1e6, stats.entries(), stats.taggedKeys(), stats.tagMarkers());
      storage.close();
    }
    if (rounds > 1) {
      long[] wall = Arrays.copyOfRange(applyWall, 1, rounds);
      long[] cpu = Arrays.copyOfRange(applyCpu, 1, rounds);
      Arrays.sort(wall);
      Arrays.sort(cpu);
      System.out.printf("apply, rounds 2-%d: median %.3f ms wall (max %.3f), median %.3f ms CPU (max %.3f)%n", rounds,
          wall[wall.length / 2] / 1e6, wall[wall.length - 1] / 1e6, cpu[cpu.length / 2] / 1e6,
          cpu[cpu.length - 1] / 1e6);
    }
  }
}
