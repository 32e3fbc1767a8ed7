package dev.kasoku.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.testing.FreePorts;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded jar as an operator runs it: {@code java -jar launcher/target/kasoku.jar} in its own
 * process with nothing but environment variables. Runs in the {@code verify} phase (failsafe), after
 * {@code package} built the jar.
 *
 * <p>Checks the promises of the foundation issue: {@code /healthz} answers within 15 s of start and
 * {@code /readyz} then says ready; SIGTERM ends the process with exit code 0 within 10 s; invalid
 * configuration exits non-zero with exactly one line naming the key; a second process on the same
 * data directory is refused with a message naming the directory and the owner's pid.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LauncherProcessIT {
  private static final Duration HEALTHY_WITHIN = Duration.ofSeconds(15);
  private static final Duration READY_WITHIN = Duration.ofSeconds(60);
  private static final Duration EXITS_WITHIN = Duration.ofSeconds(10);
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();

  @TempDir Path work;
  private final List<Process> started = new ArrayList<>();

  @AfterEach
  void killLeftovers() throws InterruptedException {
    for (Process p : started) {
      if (p.isAlive()) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  /**
   * 15 s, the promise for a fresh machine. When the load average shows the CPUs shared
   * several times over (a CI box running parallel builds), wall-clock time says little about the
   * program, so the budget grows in proportion and the test says so in its output.
   */
  private static Duration startUpBudget() {
    double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    int cpus = Runtime.getRuntime().availableProcessors();
    double oversubscription = load / (2.0 * cpus);
    if (oversubscription <= 1) {
      return HEALTHY_WITHIN;
    }
    Duration scaled = Duration.ofMillis((long) (HEALTHY_WITHIN.toMillis() * oversubscription));
    System.out.printf("load average %.1f on %d CPUs: start-up budget %d ms instead of %d ms%n",
        load, cpus, scaled.toMillis(), HEALTHY_WITHIN.toMillis());
    return scaled;
  }

  private static Path jar() {
    Path jar = Path.of(System.getProperty("kasoku.jar", "target/kasoku.jar"));
    assertThat(jar).as("the shaded jar (mvn package builds it)").exists();
    return jar;
  }

  private record Running(Process process, Path stdout, Path stderr, int apiPort, int edgePort) {
    String output() throws IOException {
      return Files.readString(stdout) + Files.readString(stderr);
    }
  }

  private Running launch(String name, Path dataDir, Map<String, String> env) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    ProcessBuilder pb = new ProcessBuilder(java, "-jar", jar().toAbsolutePath().toString());
    pb.environment().keySet().removeIf(k -> k.startsWith("KASOKU_"));
    List<Integer> ports = FreePorts.take(3);
    pb.environment().put("KASOKU_DATA_DIR", dataDir.toString());
    pb.environment().put("KASOKU_BIND_ADDRESS", "127.0.0.1");
    pb.environment().put("KASOKU_API_PORT", String.valueOf(ports.get(0)));
    pb.environment().put("KASOKU_EDGE_PORT", String.valueOf(ports.get(1)));
    pb.environment().put("KASOKU_EDGE_TLS_PORT", String.valueOf(ports.get(2)));
    pb.environment().putAll(env);
    Path out = work.resolve(name + ".out");
    Path err = work.resolve(name + ".err");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile()).directory(work.toFile());
    Process p = pb.start();
    started.add(p);
    return new Running(p, out, err, ports.get(0), ports.get(1));
  }

  private static boolean accepts(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Polls until the path answers {@code status}; returns how long that took from {@code since}. */
  private static Duration awaitStatus(Running r, String path, int status, long since, Duration limit) throws Exception {
    long deadline = since + limit.toNanos();
    while (System.nanoTime() < deadline) {
      if (!r.process().isAlive()) {
        throw new AssertionError("the process exited with " + r.process().exitValue() + ":\n" + r.output());
      }
      try {
        if (get(r.apiPort(), path).statusCode() == status) {
          return Duration.ofNanos(System.nanoTime() - since);
        }
      } catch (IOException notYetListening) {
        // keep polling
      }
      Thread.sleep(100);
    }
    throw new AssertionError(path + " did not answer " + status + " within " + limit + ":\n" + r.output());
  }

  @Test
  void freshProcessIsHealthyWithinFifteenSecondsReadyAndExitsZeroOnSigterm() throws Exception {
    long t0 = System.nanoTime();
    Running r = launch("kasoku", work.resolve("data"), Map.of());

    Duration budget = startUpBudget();
    Duration healthy = awaitStatus(r, "/healthz", 200, t0, budget);
    Duration cpuAtHealthy = r.process().info().totalCpuDuration().orElse(Duration.ZERO);
    assertThat(healthy).as("/healthz answered within the start-up budget").isLessThanOrEqualTo(budget);
    Duration ready = awaitStatus(r, "/readyz", 200, t0, READY_WITHIN);
    JsonObject report = new JsonObject(get(r.apiPort(), "/readyz").body());
    assertThat(report.getString("status")).isEqualTo("ready");

    long t1 = System.nanoTime();
    r.process().destroy(); // SIGTERM
    boolean exited = r.process().waitFor(EXITS_WITHIN.toMillis(), TimeUnit.MILLISECONDS);
    Duration stopping = Duration.ofNanos(System.nanoTime() - t1);
    String output = r.output();
    assertThat(exited).as("exited within %s after SIGTERM:\n%s", EXITS_WITHIN, output).isTrue();
    assertThat(r.process().exitValue()).as(output).isZero();
    System.out.printf("kasoku.jar: /healthz after %d ms (process CPU %d ms), /readyz ready after %d ms,"
        + " exit 0 after %d ms from SIGTERM%n", healthy.toMillis(), cpuAtHealthy.toMillis(), ready.toMillis(),
        stopping.toMillis());

    // the operator-facing log: one line per role with its port, then the drain and the stop
    for (String role : List.of("cache-edge", "purge", "auth", "config", "logging", "metrics", "portal")) {
      assertThat(output).containsOnlyOnce(" role " + role + " started: ");
    }
    assertThat(output).contains("api port " + r.apiPort()).contains("shutting down: draining").contains("stopped in");
    assertThat(output.lines().filter(l -> l.contains(" role ")).toList())
        .allMatch(l -> l.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z INFO .*"), "UTC millisecond timestamps");
  }

  @Test
  void invalidConfigurationExitsNonZeroWithOneLineNamingTheKey() throws Exception {
    Running r = launch("bad", work.resolve("data"), Map.of("KASOKU_API_PORT", "eighty-eighty"));
    assertThat(r.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(r.process().exitValue()).isEqualTo(2);
    List<String> lines = r.output().lines().filter(l -> !l.isBlank()).toList();
    assertThat(lines).hasSize(1);
    assertThat(lines.get(0)).contains("KASOKU_API_PORT").contains("eighty-eighty");
    assertThat(work.resolve("data")).as("nothing created for a refused config").doesNotExist();
  }

  @Test
  void aStopSignalDuringTheEdgeWarmUpCutsItShortAndTheProcessStopsCleanly() throws Exception {
    long t0 = System.nanoTime();
    Running r = launch("cut", work.resolve("cut-data"), Map.of("KASOKU_EDGE_WARMUP", "60s"));
    awaitStatus(r, "/healthz", 200, t0, READY_WITHIN);
    // the edge, deployed last, listens: every role is up and its warm-up begins (a signal during the
    // earlier deployments fails the start instead, and the process exits with the signal's code)
    long deadline = System.nanoTime() + READY_WITHIN.toNanos();
    while (!accepts(r.edgePort())) {
      assertThat(System.nanoTime()).as("the edge listens").isLessThan(deadline);
      Thread.sleep(50);
    }

    r.process().destroy();
    assertThat(r.process().waitFor(EXITS_WITHIN.toMillis(), TimeUnit.MILLISECONDS))
        .as("the stop does not wait out a 60 s warm-up").isTrue();
    assertThat(r.process().exitValue()).isZero();
    assertThat(r.output()).contains("cut short by a stop signal").contains("stopped in");
  }

  @Test
  void secondProcessOnTheSameDataDirectoryIsRefusedNamingTheOwner() throws Exception {
    Path data = work.resolve("shared-data");
    long t0 = System.nanoTime();
    Running first = launch("first", data, Map.of());
    awaitStatus(first, "/healthz", 200, t0, READY_WITHIN);

    Running second = launch("second", data, Map.of());
    assertThat(second.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(second.process().exitValue()).isEqualTo(1);
    assertThat(second.output())
        .contains("data directory " + data.toAbsolutePath().normalize() + " is in use by another Kasoku process (pid "
            + first.process().pid() + ")");
    assertThat(get(first.apiPort(), "/healthz").statusCode()).as("the first keeps running").isEqualTo(200);

    first.process().destroy();
    assertThat(first.process().waitFor(EXITS_WITHIN.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    assertThat(first.process().exitValue()).isZero();
  }
}
