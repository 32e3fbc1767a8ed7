package dev.kasoku.bench.services;

import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages.CounterDeltas;
import dev.kasoku.common.bus.Messages.CounterRow;
import dev.kasoku.common.cluster.ClusterNode;
import dev.kasoku.common.model.Tenant;
import dev.kasoku.common.stats.LatencySketch;
import dev.kasoku.common.store.redis.RedisStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Folding throughput of one metrics process started from the shipped jar (role {@code metrics} alone,
 * clustered, on a Redis of the bench's own): {@code edges} simulated edges each send, once a second,
 * one {@link CounterDeltas} batch with a row for each of {@code tenants} tenants (the worst case of the
 * target: every edge serves every tenant), as the edge's telemetry sends them on
 * {@link Addresses#METRICS_EDGE}: counters of every kind and latency sketches of a few buckets. The
 * edges' sends are spread over the second, as independent edges are.
 *
 * <p>The fold is acknowledged once it is in the store; this driver reports the acknowledgement
 * latency of a batch (p50/p99/max over the measured seconds), how many batches were acknowledged of
 * those sent, the most batches ever unacknowledged at once (a process that falls behind shows a number
 * that grows with the run, not one near the edges' count), the metrics process's CPU (cores used), and
 * the store's commands per second (Redis {@code total_commands_processed}; each fold is a few
 * scripted calls, so the round trips are fewer than or equal to the commands). Keeping up means: every
 * batch acknowledged, p99 below the one-second period, unacknowledged at most about one second's batches.
 * The tenants must exist for their rows to be folded: the driver creates them in the store first.
 *
 * <pre>
 * java -cp bench/target/kasoku-bench.jar -Dmembers=127.0.0.1:26701 -Dport=26702 -Dpid=1234 \
 *     -Dredis=redis://127.0.0.1:26379 -DredisPid=1235 dev.kasoku.bench.services.MetricsFoldDriver
 * </pre>
 * Options: {@code -Dedges=50 -Dtenants=1000 -Dseconds=30 -Dwarmup=10}.
 */
public final class MetricsFoldDriver {
  private MetricsFoldDriver() {}

  public static void main(String[] args) throws Exception {
    int edges = ServicesBench.intProp("edges", 50);
    int tenants = ServicesBench.intProp("tenants", 1000);
    int seconds = ServicesBench.intProp("seconds", 30);
    int warmup = ServicesBench.intProp("warmup", 10);
    long pid = Long.getLong("pid", 0);
    long redisPid = Long.getLong("redisPid", 0);
    String redisUrl = ServicesBench.prop("redis");
    ClusterNode node = ServicesBench.join(ServicesBench.intProp("port", 26702), ServicesBench.prop("members"));
    Vertx vertx = node.vertx();
    RedisStore store = RedisStore.create(vertx, redisUrl);
    Redis redis = Redis.createClient(vertx, redisUrl);
    try {
      List<String> names = new ArrayList<>();
      for (int t = 0; t < tenants; t++) {
        names.add(String.format("fold-%04d", t));
      }
      for (int from = 0; from < names.size(); from += 100) {
        List<Future<?>> created = new ArrayList<>();
        for (String t : names.subList(from, Math.min(names.size(), from + 100))) {
          created.add(store.tenants().getTenant(t).compose(o -> o.isPresent() ? Future.succeededFuture()
              : store.tenants().createTenant(new Tenant(t, t, "standard", List.of(), Instant.now()))));
        }
        Future.all(created).await(60, TimeUnit.SECONDS);
      }
      awaitConsumer(vertx);

      Histogram latency = new ConcurrentHistogram(TimeUnit.MINUTES.toMillis(10), 3);
      AtomicLong sent = new AtomicLong();
      AtomicLong acked = new AtomicLong();
      AtomicLong failed = new AtomicLong();
      AtomicLong outstanding = new AtomicLong();
      AtomicLong maxOutstanding = new AtomicLong();
      AtomicLong measureFrom = new AtomicLong(Long.MAX_VALUE); // nanoTime: batches sent from then on are measured
      AtomicLong measureTo = new AtomicLong(Long.MAX_VALUE);
      List<CounterRow> rows = rows(names);
      List<Long> timers = new ArrayList<>();
      for (int e = 0; e < edges; e++) {
        String edge = "bench-edge-" + e;
        String stream = UUID.randomUUID().toString();
        AtomicLong seq = new AtomicLong();
        timers.add(vertx.setPeriodic(1 + e * 1000L / edges, 1000, t -> {
          CounterDeltas batch = new CounterDeltas(edge, stream, seq.incrementAndGet(), Instant.now().minusSeconds(1),
              rows);
          long t0 = System.nanoTime();
          boolean measured = t0 >= measureFrom.get() && t0 < measureTo.get();
          if (measured) {
            sent.incrementAndGet();
          }
          maxOutstanding.accumulateAndGet(outstanding.incrementAndGet(), Math::max);
          Addresses.METRICS_EDGE.request(vertx.eventBus(), batch, new DeliveryOptions().setSendTimeout(60_000))
              .onComplete(ar -> {
                outstanding.decrementAndGet();
                if (!measured) {
                  return;
                }
                if (ar.succeeded()) {
                  acked.incrementAndGet();
                  latency.recordValue(Math.min(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0),
                      TimeUnit.MINUTES.toMillis(10)));
                } else {
                  failed.incrementAndGet();
                }
              });
        }));
      }
      Thread.sleep(TimeUnit.SECONDS.toMillis(warmup));
      maxOutstanding.set(outstanding.get());
      long c0 = ServicesBench.cpuNanos(pid);
      long rc0 = ServicesBench.cpuNanos(redisPid);
      long d0 = ServicesBench.ownCpuNanos();
      long[] cmd0 = commands(redis);
      long t0 = System.nanoTime();
      measureFrom.set(t0);
      Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
      long t1 = System.nanoTime();
      measureTo.set(t1);
      double s = (t1 - t0) / 1e9;
      long c1 = ServicesBench.cpuNanos(pid);
      long rc1 = ServicesBench.cpuNanos(redisPid);
      long d1 = ServicesBench.ownCpuNanos();
      long[] cmd1 = commands(redis);
      long maxUnacked = maxOutstanding.get();
      timers.forEach(vertx::cancelTimer);
      long measuredSent = sent.get();
      // the batches of the measured seconds still get their acknowledgement (up to 60 s)
      long drain = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (outstanding.get() > 0 && System.nanoTime() < drain) {
        Thread.sleep(50);
      }
      long measuredAcked = acked.get();
      long measuredFailed = failed.get();
      ServicesBench.result("metrics-fold", String.format("%d edges x %d tenants once a second = %,.0f rows/s: %,d of "
              + "%,d batches acknowledged (%d failed: an edge would resend them), fold ack p50 %d ms p99 %d ms max %d ms, at most %d batches "
              + "unacknowledged at once -> %s; metrics process %s; Redis %,.0f script calls/s (%,.0f commands/s "
              + "counting those the scripts ran)%s; the driver used %.2f cores; over %.1f s "
              + "after %d s warm-up (target: keeps up with 50 x 1000)",
          edges, tenants, measuredSent * (double) tenants / s, measuredAcked, measuredSent, measuredFailed,
          latency.getValueAtPercentile(50), latency.getValueAtPercentile(99), latency.getMaxValue(),
          maxUnacked,
          measuredAcked >= measuredSent && latency.getValueAtPercentile(99) < 1000
              && maxUnacked <= 2L * edges ? "KEEPS UP" : "FALLS BEHIND",
          pid > 0 ? String.format("%.2f cores", (c1 - c0) / 1e9 / s) : "CPU not measured (no -Dpid)",
          (cmd1[1] - cmd0[1]) / s, (cmd1[0] - cmd0[0]) / s, redisPid > 0 ? String.format(" (Redis %.2f cores)", (rc1 - rc0) / 1e9 / s) : "",
          (d1 - d0) / 1e9 / s, s,
          warmup));
    } finally {
      redis.close();
      store.close().await(10, TimeUnit.SECONDS);
      node.close().await(30, TimeUnit.SECONDS);
    }
  }

  /** One row per tenant, site "www": a second of a modest site's traffic, with a few sketch buckets. */
  private static List<CounterRow> rows(List<String> tenants) {
    SplittableRandom random = new SplittableRandom(42);
    List<CounterRow> rows = new ArrayList<>(tenants.size());
    for (String t : tenants) {
      long requests = 1 + random.nextInt(200);
      long hits = requests * 8 / 10;
      Map<String, Long> c = new HashMap<>();
      c.put("requests", requests);
      c.put("bytes", requests * 20_000);
      c.put("bytesIn", requests * 300);
      c.put("hits", hits);
      c.put("hitBytes", hits * 20_000);
      c.put("misses", requests - hits);
      c.put("status2xx", requests - 1);
      c.put("status4xx", 1L);
      c.put("originRequests", requests - hits);
      c.put("originBytes", (requests - hits) * 20_000);
      Map<Integer, Long> edgeMs = new HashMap<>();
      for (double ms : new double[] {0.4, 1.2, 3, 12, 40, 150}) {
        edgeMs.merge(LatencySketch.index(ms), 1 + requests / 6, Long::sum);
      }
      Map<Integer, Long> originMs = new HashMap<>();
      for (double ms : new double[] {12, 40, 150, 400}) {
        originMs.merge(LatencySketch.index(ms), 1 + (requests - hits) / 4, Long::sum);
      }
      rows.add(new CounterRow(t, "www", c, edgeMs, originMs));
    }
    return rows;
  }

  private static void awaitConsumer(Vertx vertx) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    String stream = "probe-" + UUID.randomUUID();
    long seq = 0;
    while (true) {
      try {
        Addresses.METRICS_EDGE.request(vertx.eventBus(), new CounterDeltas("bench-probe", stream, ++seq,
            Instant.now(), List.of()), new DeliveryOptions().setSendTimeout(2000)).await(5, TimeUnit.SECONDS);
        return;
      } catch (Exception e) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("no metrics instance answers on " + Addresses.METRICS_EDGE.address(), e);
        }
        Thread.sleep(250);
      }
    }
  }

  /**
   * {commands processed, script calls}: Redis counts the commands a script runs in
   * {@code total_commands_processed}, so the script calls ({@code EVAL}, {@code EVALSHA}, {@code FCALL})
   * are the round trips of the folds, and the total is what Redis executed for them.
   */
  private static long[] commands(Redis redis) throws Exception {
    long total = -1;
    long script = 0;
    String info = redis.send(Request.cmd(Command.INFO, "all")).await(10, TimeUnit.SECONDS).toString();
    for (String line : info.split("\r?\n")) {
      if (line.startsWith("total_commands_processed:")) {
        total = Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
      } else if (line.startsWith("cmdstat_")) {
        String name = line.substring(8, line.indexOf(':'));
        long calls = Long.parseLong(line.replaceAll("^[^:]*:calls=([0-9]+).*", "$1"));
        if (name.equals("evalsha") || name.equals("eval") || name.equals("fcall") || name.equals("evalsha_ro")) {
          script += calls;
        }
      }
    }
    if (total < 0) {
      throw new IllegalStateException("INFO without total_commands_processed");
    }
    return new long[] {total, script};
  }
}
