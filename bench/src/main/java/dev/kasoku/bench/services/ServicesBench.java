package dev.kasoku.bench.services;

import com.sun.management.OperatingSystemMXBean;
import dev.kasoku.common.cluster.ClusterBootstrap;
import dev.kasoku.common.cluster.ClusterNode;
import dev.kasoku.common.config.KasokuConfig;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * What the drivers of {@code bench/services/run.sh} share: joining the cluster of the processes the
 * script started from the shipped jar, the process CPU time of such a process (from {@code /proc}),
 * the few API calls a bench needs to set up a tenant, a site and log sinks, and the summary line.
 *
 * <p>Every figure a driver prints is on one line starting with {@code RESULT <bench>:}, so the
 * script (and a reader of its output) finds them without parsing anything else.
 */
final class ServicesBench {
  private ServicesBench() {}

  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  /** Joins the Hazelcast cluster (cluster name "kasoku", TCP-IP) of the jar's processes on loopback. */
  static ClusterNode join(int port, String members) throws Exception {
    KasokuConfig.ClusterSettings cs = new KasokuConfig.ClusterSettings(true, "127.0.0.1", port,
        Arrays.asList(members.split(",")), Optional.empty(), 0);
    return ClusterBootstrap.startClustered(cs, ClusterBootstrap.hazelcastConfig(cs)).await(120, TimeUnit.SECONDS);
  }

  /** User + system CPU time of a process so far, in nanoseconds ({@code /proc/<pid>/stat}); -1 without a pid. */
  static long cpuNanos(long pid) {
    if (pid <= 0) {
      return -1;
    }
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
      return ticks * 1_000_000_000L / Long.getLong("clk", 100);
    } catch (Exception e) {
      throw new IllegalStateException("no CPU time of process " + pid + ": " + e.getMessage(), e);
    }
  }

  /** CPU time of this JVM so far, in nanoseconds: the driver shares the machine with what it measures. */
  static long ownCpuNanos() {
    return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  static String pct(Histogram h, double p, double divisor) {
    return String.format("%.1f", h.getValueAtPercentile(p) / divisor);
  }

  static void result(String bench, String text) {
    System.out.println("RESULT " + bench + ": " + text);
    System.out.flush();
  }

  static int intProp(String name, int def) {
    return Integer.getInteger(name, def);
  }

  static String prop(String name) {
    String v = System.getProperty(name);
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException("missing -D" + name);
    }
    return v;
  }

  /** The public API of one process, as a bench client calls it. */
  record Api(String base) {
    HttpResponse<String> call(String method, String path, String bearer, String json) throws Exception {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
          .header("Authorization", "Bearer " + bearer);
      if (json != null) {
        b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json));
      } else {
        b.method(method, HttpRequest.BodyPublishers.noBody());
      }
      return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private String expect(HttpResponse<String> r, int status, String what) {
      if (status == 200 ? r.statusCode() / 100 != 2 : r.statusCode() != status) {
        throw new IllegalStateException(what + ": HTTP " + r.statusCode() + " " + r.body());
      }
      return r.body();
    }

    /** Until GET /readyz answers 200 (or 120 s pass). */
    void awaitReady() throws Exception {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (true) {
        try {
          HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/readyz"))
              .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
          if (r.statusCode() == 200) {
            return;
          }
        } catch (IOException e) {
          // not listening yet
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(base + "/readyz did not answer 200 within 120 s");
        }
        Thread.sleep(200);
      }
    }

    /** Creates the tenant with the operator token; answers its admin API key. */
    String createTenant(String operator, String id) throws Exception {
      String body = expect(call("POST", "/v1/tenants", operator,
          new JsonObject().put("name", "Bench " + id).put("id", id).encode()), 201, "create tenant " + id);
      return new JsonObject(body).getString("adminApiKey");
    }

    void putSite(String key, String tenant, String site, String host, String originUrl) throws Exception {
      expect(call("PUT", "/v1/tenants/" + tenant + "/sites/" + site, key, new JsonObject()
          .put("hostnames", List.of(host)).put("origins", List.of(new JsonObject().put("url", originUrl)))
          .put("defaultTtl", "1h").encode()), 200, "put site " + site);
    }

    void putHttpSink(String key, String tenant, String name, String url) throws Exception {
      expect(call("PUT", "/v1/tenants/" + tenant + "/log-sinks", key, new JsonObject().put("sinks", List.of(
          new JsonObject().put("name", name).put("type", "http").put("url", url))).encode()), 200, "put log sinks");
    }
  }
}
