package dev.kasoku.bench.services;

import dev.kasoku.bench.Zipf;
import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages.AccessLogBatch;
import dev.kasoku.common.bus.Messages.AccessLogRecord;
import dev.kasoku.common.cluster.ClusterNode;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Access-log intake of one logging process started from the shipped jar: records per second it
 * acknowledges (an acknowledgement means the batch is durable on its disk) and its process CPU time
 * per record.
 *
 * <p>Why the bus and not an edge with traffic: an edge on this machine would spend most of the CPU
 * producing the records (HTTP parsing, the cache, the origin), so the figure would be the edge's, not
 * the intake's. This driver is what edges are to the logging role: it joins the cluster as a member,
 * and {@code senders} simulated edges each send {@link AccessLogBatch}es of {@code batch} records
 * (500, the edge's batch size) on {@link Addresses#LOG_ACCESS}, with a stream, sequence numbers and a
 * floor as the edge sends them, keeping at most {@code window} batches unacknowledged each (the
 * edge's bounded in-flight window), and sends the next batch of a sender only when one of its
 * batches is acknowledged. A failed or timed-out batch is sent again (and counted). Records are
 * realistic: Zipf-distributed paths over 10,000 URLs, a status and cache-status mix, user agents and
 * referers, client addresses over a /16, spread over {@code tenants} tenants.
 *
 * <p>Two modes. Intake ({@code -Dseconds=N}): sends for {@code warmup} s unmeasured, then {@code seconds}
 * s measured, and prints acknowledged records/s, the CPU per record of the logging process
 * ({@code -Dpid}), and the acknowledgement latency of a batch. Fill ({@code -Drecords=N
 * -DspreadHours=H -Dtenant=T}): stores N records of one tenant with timestamps spread evenly over the
 * last H hours (the stored range the download bench reads), then exits.
 *
 * <pre>
 * java -cp bench/target/kasoku-bench.jar -Dmembers=127.0.0.1:26701 -Dport=26702 -Dpid=1234 \
 *     dev.kasoku.bench.services.LogIntakeDriver
 * </pre>
 * Options: {@code -Dseconds=20 -Dwarmup=10 -Dsenders=4 -Dwindow=8 -Dbatch=500 -Dtenants=20}.
 */
public final class LogIntakeDriver {
  private static final String[] AGENTS = {
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
      "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0", "curl/8.5.0",
      "Googlebot/2.1 (+http://www.google.com/bot.html)"};
  private static final String[] TYPES = {"text/html; charset=utf-8", "image/webp", "application/javascript",
      "text/css", "application/json"};

  private LogIntakeDriver() {}

  public static void main(String[] args) throws Exception {
    int seconds = ServicesBench.intProp("seconds", 20);
    int warmup = ServicesBench.intProp("warmup", 10);
    int senders = ServicesBench.intProp("senders", 4);
    int window = ServicesBench.intProp("window", 8);
    int batch = ServicesBench.intProp("batch", 500);
    int tenants = ServicesBench.intProp("tenants", 20);
    long records = Long.getLong("records", 0);
    int spreadHours = ServicesBench.intProp("spreadHours", 0);
    String tenant = System.getProperty("tenant");
    long pid = Long.getLong("pid", 0);
    ClusterNode node = ServicesBench.join(ServicesBench.intProp("port", 26702), ServicesBench.prop("members"));
    Vertx vertx = node.vertx();
    try {
      awaitConsumer(vertx);
      Load load = new Load(vertx, senders, window, batch, tenants, tenant, records, spreadHours);
      if (records > 0) {
        long t0 = System.nanoTime();
        load.start();
        load.done.await(30, TimeUnit.MINUTES);
        double s = (System.nanoTime() - t0) / 1e9;
        ServicesBench.result("download-fill", String.format("%,d records of tenant %s over the last %d h stored "
            + "(acknowledged) in %.1f s = %,.0f records/s; %d resends", load.acked.get(), tenant, spreadHours, s,
            load.acked.get() / s, load.resends.get()));
        return;
      }
      load.start();
      Thread.sleep(TimeUnit.SECONDS.toMillis(warmup));
      long a0 = load.acked.get();
      long c0 = ServicesBench.cpuNanos(pid);
      long d0 = ServicesBench.ownCpuNanos();
      long r0 = load.resends.get();
      load.latency.reset();
      long t0 = System.nanoTime();
      Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
      long a1 = load.acked.get();
      long c1 = ServicesBench.cpuNanos(pid);
      long d1 = ServicesBench.ownCpuNanos();
      double s = (System.nanoTime() - t0) / 1e9;
      Histogram lat = load.latency.copy();
      load.stop = true;
      double rate = (a1 - a0) / s;
      String cpu = pid > 0 ? String.format("%.2f us CPU/record (logging process, %.0f %% of one core)",
          (c1 - c0) / 1000.0 / Math.max(1, a1 - a0), (c1 - c0) / 1e7 / s) : "CPU not measured (no -Dpid)";
      ServicesBench.result("logging-intake", String.format("%,.0f records/s acknowledged (durable) over %.1f s after "
              + "%d s warm-up; %s; batch ack p50 %s ms p99 %s ms max %s ms; %d senders x %d batches in flight x %d "
              + "records; %d resends; the driver used %.2f cores (target >= 100,000 records/s)", rate, s, warmup, cpu,
          ServicesBench.pct(lat, 50, 1000), ServicesBench.pct(lat, 99, 1000), ServicesBench.pct(lat, 100, 1000),
          senders, window, batch, load.resends.get() - r0, (d1 - d0) / 1e9 / s));
    } finally {
      node.close().await(30, TimeUnit.SECONDS);
    }
  }

  /** Until a logging instance answers on the intake address (the process may still be starting). */
  private static void awaitConsumer(Vertx vertx) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    AccessLogBatch empty = new AccessLogBatch(List.of());
    while (true) {
      try {
        Addresses.LOG_ACCESS.request(vertx.eventBus(), empty, new DeliveryOptions().setSendTimeout(2000))
            .await(5, TimeUnit.SECONDS);
        return;
      } catch (Exception e) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("no logging instance answers on " + Addresses.LOG_ACCESS.address(), e);
        }
        Thread.sleep(250);
      }
    }
  }

  /** The simulated edges: each a stream with its own sequence and in-flight window. */
  private static final class Load {
    final Vertx vertx;
    final int senders;
    final int window;
    final int batch;
    final int tenants;
    final String tenant;
    final long records;
    final int spreadHours;
    final AtomicLong acked = new AtomicLong();
    final AtomicLong sent = new AtomicLong();
    final AtomicLong resends = new AtomicLong();
    final Histogram latency = new ConcurrentHistogram(TimeUnit.SECONDS.toMicros(60), 3);
    final CountDownLatch done;
    final Instant spreadFrom;
    volatile boolean stop;
    final Zipf zipf = new Zipf(10_000, Zipf.DEFAULT_EXPONENT);

    Load(Vertx vertx, int senders, int window, int batch, int tenants, String tenant, long records, int spreadHours) {
      this.vertx = vertx;
      this.senders = senders;
      this.window = window;
      this.batch = batch;
      this.tenants = tenants;
      this.tenant = tenant;
      this.records = records;
      this.spreadHours = spreadHours;
      this.done = new CountDownLatch(1);
      this.spreadFrom = Instant.now().minus(Duration.ofHours(spreadHours));
    }

    void start() {
      for (int s = 0; s < senders; s++) {
        Sender sender = new Sender(this, s);
        vertx.runOnContext(v -> {
          for (int w = 0; w < window; w++) {
            sender.next();
          }
        });
      }
    }

    /** The timestamp of the n-th record: now, or spread evenly over the fill range. */
    Instant ts(long n) {
      if (records == 0) {
        return Instant.now();
      }
      return spreadFrom.plusMillis(n * Duration.ofHours(spreadHours).toMillis() / records);
    }
  }

  private static final class Sender {
    final Load load;
    final String node;
    final String stream = UUID.randomUUID().toString();
    final SplittableRandom random;
    final TreeSet<Long> inFlight = new TreeSet<>();
    long seq;

    Sender(Load load, int index) {
      this.load = load;
      this.node = "bench-edge-" + index;
      this.random = new SplittableRandom(index * 7919L + 1);
    }

    void next() {
      if (load.stop) {
        return;
      }
      int n = load.batch;
      if (load.records > 0) {
        long first = load.sent.getAndAdd(n);
        if (first >= load.records) {
          return;
        }
        n = (int) Math.min(n, load.records - first);
        send(batchOf(first, n));
        return;
      }
      send(batchOf(0, n));
    }

    AccessLogBatch batchOf(long first, int n) {
      List<AccessLogRecord> list = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        list.add(record(load.ts(first + i)));
      }
      long s = ++seq;
      inFlight.add(s);
      return new AccessLogBatch(node, stream, s, inFlight.first(), Instant.now(), list);
    }

    void send(AccessLogBatch b) {
      long t0 = System.nanoTime();
      Addresses.LOG_ACCESS.request(load.vertx.eventBus(), b.sentAt(Instant.now()),
              new DeliveryOptions().setSendTimeout(30_000))
          .onSuccess(m -> {
            load.latency.recordValue(Math.min(TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - t0),
                TimeUnit.SECONDS.toMicros(60)));
            inFlight.remove(b.seq());
            long total = load.acked.addAndGet(b.records().size());
            if (load.records > 0 && total >= load.records) {
              load.done.countDown();
            }
            next();
          })
          .onFailure(e -> {
            load.resends.incrementAndGet();
            send(b);
          });
    }

    AccessLogRecord record(Instant ts) {
      int k = load.zipf.next(random);
      int r = random.nextInt(100);
      int status = r < 85 ? 200 : r < 93 ? 304 : r < 98 ? 404 : 503;
      String cache = r < 70 ? "hit" : r < 90 ? "miss" : r < 95 ? "pass" : r < 98 ? "stale" : "error";
      String t = load.tenant != null ? load.tenant : "bench-" + random.nextInt(load.tenants);
      long bytes = status == 304 ? 0 : 512 + random.nextInt(64 * 1024);
      long originMs = cache.equals("hit") ? 0 : 5 + random.nextInt(200);
      return new AccessLogRecord(ts, t, "www", "www." + t + ".example", "10.1." + random.nextInt(256) + "."
          + random.nextInt(256), r < 95 ? "GET" : "HEAD", "/assets/" + k + (k % 3 == 0 ? ".js" : ".webp")
          + (k % 10 == 0 ? "?v=" + k : ""), "HTTP/1.1", status, bytes, 0, TYPES[k % TYPES.length],
          r % 2 == 0 ? "TLSv1.3" : null, null, cache, originMs, originMs + random.nextInt(5),
          AGENTS[random.nextInt(AGENTS.length)], k % 4 == 0 ? "https://www." + t + ".example/" : null, node,
          UUID.randomUUID().toString());
    }
  }
}
