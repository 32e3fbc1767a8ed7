package dev.kasoku.bench.services;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * The live view's delay, end to end through the shipped jar (every role in one process): the time from
 * the end of a request to the moment {@code GET /v1/tenants/{t}/stats?step=1s} counts it.
 *
 * <p>Once a second, {@code burst} requests are sent to the edge at the same time, at a random point of
 * the second (the delay depends on where in the edge's one-second window a request ends, so the bursts
 * sample every phase); the bench notes when each response ended. A poller
 * reads the 1 s series of {@code requests} over the whole run every {@code pollMs} ms and adds it up:
 * when the sum reaches k, the k-th request (in order of end) is visible, and its delay is the poll's
 * answer time minus its end. Adding up the whole range, instead of looking at one bucket, makes the
 * figure independent of which second the edge's window put a request in. The resolution is the poll
 * interval (100 ms by default), which the figure can overstate by at most that much.
 *
 * <pre>
 * java -cp bench/target/kasoku-bench.jar -Dapi=http://127.0.0.1:26081 -Dedge=http://127.0.0.1:26080 \
 *     -Doperator=... dev.kasoku.bench.services.LiveViewBench
 * </pre>
 * Options: {@code -Dseconds=30 -Dburst=20 -DpollMs=100}.
 */
public final class LiveViewBench {
  private LiveViewBench() {}

  public static void main(String[] args) throws Exception {
    int seconds = ServicesBench.intProp("seconds", 30);
    int burst = ServicesBench.intProp("burst", 20);
    int pollMs = ServicesBench.intProp("pollMs", 100);
    ServicesBench.Api api = new ServicesBench.Api(ServicesBench.prop("api"));
    String tenant = "live" + Long.toString(System.nanoTime() % 100_000, 36);
    String host = "www." + tenant + ".example";
    try (Traffic traffic = new Traffic(ServicesBench.prop("edge"), burst)) {
      api.awaitReady();
      String key = api.createTenant(ServicesBench.prop("operator"), tenant);
      api.putSite(key, tenant, "www", host, traffic.startOrigin());
      SinkLatencyBench.awaitSiteLive(traffic, host);
      Instant from = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(5);
      // the requests that brought the site up are counted too: wait until they are, and start from there
      long counted0 = 0;
      long settle = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (counted0 == 0 && System.nanoTime() < settle) {
        Thread.sleep(pollMs);
        counted0 = count(api, key, tenant, from);
      }
      Thread.sleep(1500); // one more edge window, for a failed attempt counted a second later
      counted0 = count(api, key, tenant, from);
      List<Long> ends = Collections.synchronizedList(new ArrayList<>());
      SplittableRandom phase = new SplittableRandom(7);
      Thread load = new Thread(() -> {
        try {
          for (int s = 0; s < seconds; s++) {
            // a random phase each second: the edge's one-second window is not aligned to the wall clock, and the
            // delay depends on where in that window a request ends, so the bursts sample every phase
            long next = (System.currentTimeMillis() / 1000 + 1) * 1000 + phase.nextInt(1000);
            Thread.sleep(Math.max(0, next - System.currentTimeMillis()));
            List<Future<Long>> fs = new ArrayList<>();
            for (int i = 0; i < burst; i++) {
              fs.add(traffic.get(host, "/live/" + i));
            }
            for (Future<Long> f : fs) {
              ends.add(f.await(30, TimeUnit.SECONDS));
            }
          }
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }, "live-load");
      load.start();
      Histogram delay = new Histogram(TimeUnit.MINUTES.toMillis(10), 3);
      long total = (long) seconds * burst;
      int visible = 0;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds + 30L);
      while (visible < total && System.nanoTime() < deadline) {
        long counted = count(api, key, tenant, from) - counted0;
        long now = System.currentTimeMillis();
        List<Long> sorted;
        synchronized (ends) {
          sorted = new ArrayList<>(ends);
        }
        Collections.sort(sorted);
        while (visible < counted && visible < sorted.size()) {
          delay.recordValue(Math.max(0, now - sorted.get(visible)));
          visible++;
        }
        Thread.sleep(pollMs);
      }
      load.join();
      ServicesBench.result("live-view", String.format("request end -> counted in stats?step=1s p50 %d ms p99 %d ms "
              + "max %d ms over %,d requests (%d per second for %d s, polled every %d ms); %,d of %,d seen "
              + "(target p99 <= 2000 ms)", delay.getValueAtPercentile(50), delay.getValueAtPercentile(99),
          delay.getMaxValue(), delay.getTotalCount(), burst, seconds, pollMs, visible, total));
    }
  }

  /** The sum of the 1 s requests series from {@code from} to now. */
  private static long count(ServicesBench.Api api, String key, String tenant, Instant from) throws Exception {
    String q = "?step=1s&fields=requests&from=" + URLEncoder.encode(from.toString(), StandardCharsets.UTF_8) + "&to="
        + URLEncoder.encode(Instant.now().plusSeconds(2).toString(), StandardCharsets.UTF_8);
    HttpResponse<String> r = api.call("GET", "/v1/tenants/" + tenant + "/stats" + q, key, null);
    if (r.statusCode() != 200) {
      throw new IllegalStateException("stats: HTTP " + r.statusCode() + " " + r.body());
    }
    JsonArray values = new JsonObject(r.body()).getJsonObject("series").getJsonArray("requests");
    long sum = 0;
    for (int i = 0; i < values.size(); i++) {
      Object v = values.getValue(i);
      if (v instanceof Number n) {
        sum += n.longValue();
      }
    }
    return sum;
  }
}
