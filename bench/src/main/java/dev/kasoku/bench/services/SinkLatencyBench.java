package dev.kasoku.bench.services;

import io.vertx.core.Future;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Delivery of access-log records to a healthy HTTP log sink, end to end through the shipped jar (every
 * role in one process, as {@code java -jar kasoku.jar} starts): the time from the end of a request
 * (the record's {@code ts}, stamped by the edge when the response ended) to the arrival of its line at
 * a receiver this bench runs on loopback.
 *
 * <p>The bench creates a tenant (operator token), a site whose origin it serves itself, and one http
 * sink with the defaults (period 1 s, no gzip) pointing at its receiver; then sends {@code rate}
 * requests/s to the edge for {@code warmup} s (the sink ships the records of requests from its
 * creation on; the warm-up also lets the shipper's first read happen) and {@code seconds} s measured.
 * Every line the receiver gets is timed against its {@code ts} (both clocks are this machine's); the
 * figures are over the lines of measured requests, after all of them arrived (or 30 s passed: then the
 * missing ones are counted).
 *
 * <pre>
 * java -cp bench/target/kasoku-bench.jar -Dapi=http://127.0.0.1:26081 -Dedge=http://127.0.0.1:26080 \
 *     -Doperator=... dev.kasoku.bench.services.SinkLatencyBench
 * </pre>
 * Options: {@code -Drate=500 -Dseconds=20 -Dwarmup=5}.
 */
public final class SinkLatencyBench {
  private SinkLatencyBench() {}

  public static void main(String[] args) throws Exception {
    int rate = ServicesBench.intProp("rate", 500);
    int seconds = ServicesBench.intProp("seconds", 20);
    int warmup = ServicesBench.intProp("warmup", 5);
    ServicesBench.Api api = new ServicesBench.Api(ServicesBench.prop("api"));
    String tenant = "sink" + Long.toString(System.nanoTime() % 100_000, 36);
    String host = "www." + tenant + ".example";
    try (Traffic traffic = new Traffic(ServicesBench.prop("edge"), 32)) {
      api.awaitReady();
      Histogram latency = new ConcurrentHistogram(TimeUnit.MINUTES.toMillis(10), 3);
      Set<String> seen = ConcurrentHashMap.newKeySet();
      AtomicLong duplicates = new AtomicLong();
      AtomicLong measuredStart = new AtomicLong(Long.MAX_VALUE);
      AtomicLong measuredEnd = new AtomicLong(Long.MAX_VALUE);
      AtomicLong received = new AtomicLong();
      HttpServer receiver = traffic.vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
        long now = System.currentTimeMillis();
        for (String line : b.toString().split("\n")) {
          if (line.isBlank()) {
            continue;
          }
          JsonObject rec = new JsonObject(line);
          long ts = Instant.parse(rec.getString("ts")).toEpochMilli();
          if (!seen.add(rec.getString("requestId"))) {
            duplicates.incrementAndGet();
            continue;
          }
          if (ts >= measuredStart.get() && ts <= measuredEnd.get()) {
            latency.recordValue(Math.max(0, now - ts));
            received.incrementAndGet();
          }
        }
        req.response().setStatusCode(204).end();
      })).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
      String key = api.createTenant(ServicesBench.prop("operator"), tenant);
      api.putSite(key, tenant, "www", host, traffic.startOrigin());
      api.putHttpSink(key, tenant, "bench", "http://127.0.0.1:" + receiver.actualPort() + "/sink");
      awaitSiteLive(traffic, host);

      send(traffic, host, rate, warmup, null);
      measuredStart.set(System.currentTimeMillis());
      List<Long> ends = new ArrayList<>();
      send(traffic, host, rate, seconds, ends);
      measuredEnd.set(System.currentTimeMillis());
      long sent = ends.size();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (received.get() < sent && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      ServicesBench.result("sink-latency", String.format("request end -> arrival at the HTTP sink p50 %d ms p99 %d "
              + "ms max %d ms over %,d records (%d requests/s for %d s after %d s warm-up); %,d of %,d arrived, %d "
              + "duplicates (target p99 <= 2000 ms)", latency.getValueAtPercentile(50),
          latency.getValueAtPercentile(99), latency.getMaxValue(), latency.getTotalCount(), rate, seconds, warmup,
          received.get(), sent, duplicates.get()));
    }
  }

  /** Until the edge serves the new site (config reaches the edge within about a second). */
  static void awaitSiteLive(Traffic traffic, String host) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        traffic.get(host, "/warm").await(5, TimeUnit.SECONDS);
        return;
      } catch (Exception e) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the edge does not serve " + host + ": " + e.getMessage(), e);
        }
        Thread.sleep(200);
      }
    }
  }

  /**
   * {@code rate} GETs per second for {@code seconds} s, paced in 10 ms ticks over 1,000 paths (hits after
   * the first of each), then waits for the last; adds each response's end (epoch ms) to {@code ends}.
   */
  static void send(Traffic traffic, String host, int rate, int seconds, List<Long> ends) throws Exception {
    List<Future<Long>> all = new ArrayList<>();
    long start = System.nanoTime();
    long total = (long) rate * seconds;
    for (long i = 0; i < total; i++) {
      long due = start + i * 1_000_000_000L / rate;
      long wait = due - System.nanoTime();
      if (wait > 2_000_000) {
        Thread.sleep(wait / 1_000_000);
      }
      all.add(traffic.get(host, "/obj/" + (i % 1000)));
    }
    for (Future<Long> f : all) {
      Long end = f.await(60, TimeUnit.SECONDS);
      if (ends != null) {
        ends.add(end);
      }
    }
  }
}
