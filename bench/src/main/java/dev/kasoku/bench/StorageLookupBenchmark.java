package dev.kasoku.bench;

import dev.kasoku.cacheedge.policy.CacheControl;
import dev.kasoku.cacheedge.policy.Freshness;
import dev.kasoku.cacheedge.storage.MemoryStorage;
import dev.kasoku.cacheedge.storage.StoredObject;
import io.vertx.core.buffer.Buffer;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The edge's lookup path against the memory storage: a Zipf-distributed stream of keys (exponent
 * 0.99, scrambled; see {@link Zipf}) over a storage holding {@code keys} objects of 1 KiB, every key
 * present (a hit path). {@code get} is the storage lookup alone; {@code hit} is the engine's LOOKUP step
 * (Vary index, get, body reference, freshness verdict) and the release of the body reference that
 * follows delivery.
 *
 * <p>Run (from the repository root; nothing runs in the normal build):
 * <pre>
 *   mvn -B -q -o -pl bench -am package -DskipTests
 *   java -jar bench/target/kasoku-bench.jar StorageLookupBenchmark
 *   java -jar bench/target/kasoku-bench.jar StorageLookupBenchmark -p keys=10000 -t 2   # two threads
 * </pre>
 * Keys are precomputed strings of the primary-key shape ({@link BenchObjects#key}); computing a key
 * is measured by {@link CacheKeyBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms6g", "-Xmx6g"})
@Threads(1)
public class StorageLookupBenchmark {
  private static final int SAMPLES = 1 << 20;
  private static final int MASK = SAMPLES - 1;

  @Param({"10000", "1000000"})
  int keys;

  MemoryStorage storage;
  String[] sampled;

  @Setup(Level.Trial)
  public void fill() {
    storage = new MemoryStorage(4L << 30, 64L << 20, MemoryStorage.DEFAULT_MAX_VARIANTS);
    Instant now = Instant.now();
    String[] all = new String[keys];
    for (int i = 0; i < keys; i++) {
      all[i] = BenchObjects.key(i);
      Buffer body = BenchObjects.body(1024, i);
      storage.put(BenchObjects.object(storage, all[i], BenchObjects.path(i), body, now));
    }
    if (storage.stats().entries() != keys) {
      throw new IllegalStateException("storage holds " + storage.stats().entries() + " of " + keys);
    }
    // one lookup string per key, equal to but not the stored instance (equals compares the
    // characters, as with a key computed per request), its hash cached as after a first use
    String[] lookup = new String[keys];
    for (int i = 0; i < keys; i++) {
      lookup[i] = new String(all[i].toCharArray());
    }
    sampled = new String[SAMPLES];
    int[] idx = new Zipf(keys, Zipf.DEFAULT_EXPONENT).sample(SAMPLES, 42);
    for (int i = 0; i < SAMPLES; i++) {
      sampled[i] = lookup[idx[i]];
    }
  }

  @TearDown(Level.Trial)
  public void close() {
    storage.close();
  }

  /** Per-thread position in the sampled key stream, each thread starting elsewhere. */
  @State(Scope.Thread)
  public static class Cursor {
    int i = (int) (Thread.currentThread().getId() * 0x9E3779B9L) & MASK;

    String next(String[] keys) {
      return keys[i++ & MASK];
    }
  }

  @Benchmark
  public StoredObject get(Cursor c) {
    return storage.get(c.next(sampled));
  }

  /** The engine's LOOKUP step for a request without Vary or Cache-Control, then the body release. */
  @Benchmark
  public boolean hit(Cursor c) {
    String key = c.next(sampled);
    if (storage.varyOf(key) != null) {
      return false;
    }
    StoredObject o = storage.get(key);
    if (o == null || !o.body().tryRetain()) {
      return false;
    }
    boolean fresh = o.freshness().verdict(Instant.now(), CacheControl.EMPTY) == Freshness.Verdict.FRESH;
    o.body().release();
    return fresh;
  }
}
