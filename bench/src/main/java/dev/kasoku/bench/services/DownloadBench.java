package dev.kasoku.bench.services;

import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One client downloading a tenant's stored access log as NDJSON from one logging process (the shipped
 * jar, its range filled by {@link LogIntakeDriver} in fill mode): MB/s (10^6 bytes of body per second,
 * uncompressed: the client does not ask for gzip) and the process's heap while it streams.
 *
 * <p>The heap is read from the process's own {@code /metrics} ({@code jvm_memory_used_bytes} of the
 * heap areas, and of the old generation alone) every {@code sampleMs} ms during the download. "Flat"
 * means the old generation does not grow with the bytes streamed: the summary prints its first, largest
 * and last sample, next to the whole heap's largest sample, so a download that kept what it sent would
 * show an old generation growing towards the body size.
 *
 * <pre>
 * java -cp bench/target/kasoku-bench.jar -Dapi=http://127.0.0.1:26081 -Dkey=ksk_... -Dtenant=dl \
 *     -Dhours=6 dev.kasoku.bench.services.DownloadBench
 * </pre>
 */
public final class DownloadBench {
  private DownloadBench() {}

  public static void main(String[] args) throws Exception {
    String api = ServicesBench.prop("api");
    String key = ServicesBench.prop("key");
    String tenant = ServicesBench.prop("tenant");
    int hours = ServicesBench.intProp("hours", 6);
    int sampleMs = ServicesBench.intProp("sampleMs", 250);
    long expect = Long.getLong("expectRecords", 0);
    Instant to = Instant.now().plusSeconds(60);
    Instant from = to.minus(Duration.ofHours(hours + 1));
    String query = "?format=ndjson&from=" + URLEncoder.encode(from.toString(), StandardCharsets.UTF_8) + "&to="
        + URLEncoder.encode(to.toString(), StandardCharsets.UTF_8);
    HttpRequest request = HttpRequest.newBuilder(URI.create(api + "/v1/tenants/" + tenant + "/logs" + query))
        .header("Authorization", "Bearer " + key).timeout(Duration.ofMinutes(10)).GET().build();

    List<long[]> samples = new ArrayList<>(); // {heapUsed, oldGenUsed}
    Thread sampler = new Thread(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        try {
          long[] s = heap(api);
          synchronized (samples) {
            samples.add(s);
          }
          Thread.sleep(sampleMs);
        } catch (InterruptedException e) {
          return;
        } catch (Exception e) {
          // a missed sample: the next one is taken on time
        }
      }
    }, "heap-sampler");
    long[] before = heap(api);
    sampler.start();
    long t0 = System.nanoTime();
    HttpResponse<InputStream> r = ServicesBench.HTTP.send(request, HttpResponse.BodyHandlers.ofInputStream());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("download: HTTP " + r.statusCode() + " " + new String(r.body().readAllBytes(),
          StandardCharsets.UTF_8));
    }
    long bytes = 0;
    long lines = 0;
    long firstByteNs = 0;
    byte[] buf = new byte[1 << 16];
    try (InputStream in = r.body()) {
      int n;
      while ((n = in.read(buf)) > 0) {
        if (firstByteNs == 0) {
          firstByteNs = System.nanoTime();
        }
        bytes += n;
        for (int i = 0; i < n; i++) {
          if (buf[i] == '\n') {
            lines++;
          }
        }
      }
    }
    double s = (System.nanoTime() - t0) / 1e9;
    sampler.interrupt();
    sampler.join();
    long[] after = heap(api);
    long heapMax = 0;
    long oldMax = 0;
    synchronized (samples) {
      for (long[] x : samples) {
        heapMax = Math.max(heapMax, x[0]);
        oldMax = Math.max(oldMax, x[1]);
      }
    }
    ServicesBench.result("download", String.format("%.1f MB/s of NDJSON to one client: %,d bytes, %,d lines%s in "
            + "%.1f s (first byte after %.0f ms); heap of the logging process over %d samples: largest %.0f MiB; old "
            + "generation before %.0f MiB, largest %.0f MiB, after %.0f MiB (target >= 100 MB/s, flat heap)",
        bytes / 1e6 / s, bytes, lines, expect > 0 ? " (" + expect + " records stored)" : "", s,
        (firstByteNs - t0) / 1e6, samples.size(), heapMax / 1048576.0, before[1] / 1048576.0, oldMax / 1048576.0,
        after[1] / 1048576.0));
  }

  /** {heap used, old generation used} in bytes, from the process's Prometheus output. */
  private static long[] heap(String api) throws Exception {
    HttpResponse<String> r = ServicesBench.HTTP.send(HttpRequest.newBuilder(URI.create(api + "/metrics"))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    double heap = 0;
    double old = 0;
    for (String line : r.body().split("\n")) {
      if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
        double v = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        heap += v;
        if (line.contains("Old Gen") || line.contains("Tenured")) {
          old += v;
        }
      }
    }
    return new long[] {(long) heap, (long) old};
  }
}
