package dev.kasoku.bench;

import dev.kasoku.cacheedge.telemetry.EdgeTelemetry;
import dev.kasoku.cacheedge.telemetry.LogShipping;
import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages.AccessLogBatch;
import dev.kasoku.common.bus.Messages.AccessLogRecord;
import dev.kasoku.common.bus.RecordCodec;
import dev.kasoku.common.prometheus.Prometheus;
import dev.kasoku.common.store.Store;
import dev.kasoku.common.store.embedded.EmbeddedStore;
import dev.kasoku.common.time.Ticker;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The edge's cost of one access-log record after its request ended: the record as the edge builds
 * it (its stamp, its request id) and {@link EdgeTelemetry#record} (the process meters, the batch
 * being filled with its buffer accounting, the site's counter row and latency sketches; a full batch
 * is sealed and sent on the bus, where a consumer acknowledges it at once). Runs on the telemetry's
 * event loop, {@value #RECORDS} records per hop onto it; {@code -prof gc} gives the bytes allocated
 * per record ({@code gc.alloc.rate.norm}). The logging service's intake is not part of it.
 *
 * <p>{@code clusteredEncode} is what a clustered edge adds per record when a batch leaves for a
 * logging instance in another process: {@link RecordCodec} writing a full batch
 * ({@value #BATCH} records, {@link EdgeTelemetry#BATCH_RECORDS}) as JSON, per record. In one process
 * the bus hands the batch over as it is and nothing is encoded.
 *
 * <p>Run (from the repository root; nothing runs in the normal build):
 * <pre>
 *   mvn -B -q -o -pl bench -am package -DskipTests
 *   java -jar bench/target/kasoku-bench.jar AccessLogHandOffBenchmark -prof gc
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class AccessLogHandOffBenchmark {
  static final int RECORDS = 1000;
  static final int BATCH = EdgeTelemetry.BATCH_RECORDS;

  Vertx vertx;
  Context context;
  Path dir;
  Store store;
  EdgeTelemetry telemetry;
  long ids;
  final RecordCodec<AccessLogBatch> codec = new RecordCodec<>(AccessLogBatch.class);
  AccessLogBatch batch;

  @Setup(Level.Trial)
  public void setup() throws Exception {
    vertx = Vertx.vertx();
    RecordCodec.registerAll(vertx);
    dir = Files.createTempDirectory("kasoku-bench-accesslog");
    store = EmbeddedStore.open(vertx, dir).await();
    Addresses.LOG_ACCESS.consumer(vertx.eventBus(), m -> m.reply(m.body().records().size())).completion().await();
    Addresses.METRICS_EDGE.consumer(vertx.eventBus(), m -> m.reply(null)).completion().await();
    context = vertx.getOrCreateContext();
    LogShipping shipping = new LogShipping("edge-bench", 64L << 20, 1, store.notifications(), Clock.systemUTC(),
        Ticker.system(), Prometheus.registry(vertx));
    CompletableFuture<EdgeTelemetry> made = new CompletableFuture<>();
    context.runOnContext(v -> made.complete(new EdgeTelemetry(vertx, "edge-bench", Clock.systemUTC(),
        Ticker.system(), shipping)));
    telemetry = made.get();
    List<AccessLogRecord> records = new ArrayList<>();
    for (int i = 0; i < BATCH; i++) {
      records.add(record());
    }
    batch = new AccessLogBatch("edge-bench", "edge-bench.x", 1, 1, Instant.now(), records);
  }

  /** What the edge stamps for a hot hit of a 1 KiB object over plain HTTP/1.1. */
  private AccessLogRecord record() {
    return new AccessLogRecord(Instant.ofEpochMilli(System.currentTimeMillis()), "hot", "www",
        "www.hot.example", "127.0.0.1", "GET", "/hot1k", "HTTP/1.1", 200, 1024, 0, "application/octet-stream",
        null, null, "hit", -1, 0, "wrk", null, "edge-bench", "edge-bench-" + Long.toString(++ids, 36));
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    store.close().await();
    vertx.close().await();
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Benchmark
  @OperationsPerInvocation(RECORDS)
  public int hotHitRecord() throws Exception {
    CompletableFuture<Integer> done = new CompletableFuture<>();
    context.runOnContext(v -> {
      for (int i = 0; i < RECORDS; i++) {
        telemetry.record(record(), 0, 0, false);
      }
      done.complete(telemetry.unackedRecords());
    });
    return done.get();
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public int clusteredEncode() {
    Buffer out = Buffer.buffer(256 * BATCH);
    codec.encodeToWire(out, batch);
    return out.length();
  }
}
