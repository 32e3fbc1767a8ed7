package dev.kasoku.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.config.OpenFileLimit;
import dev.kasoku.common.testing.FreePorts;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * The open-file limit as the jar sees it, started from a shell with a low soft limit: with the JVM's
 * default the soft limit is raised to the hard one before Kasoku runs, and both are logged; with
 * the raise turned off ({@code -XX:-MaxFDLimit}) Kasoku warns, says what to run instead, and sizes the
 * edge's connection cap from the soft limit actually in force.
 */
@EnabledOnOs(OS.LINUX)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OpenFileLimitIT {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @TempDir Path work;
  private Process process;

  @AfterEach
  void kill() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** Starts the jar under {@code ulimit -Sn soft}, waits for readiness, stops it, returns its log. */
  private String runWithSoftLimit(long soft, String jvmFlag) throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    Path jar = Path.of(System.getProperty("kasoku.jar", "target/kasoku.jar")).toAbsolutePath();
    List<Integer> ports = FreePorts.take(3);
    ProcessBuilder pb = new ProcessBuilder("bash", "-c",
        "ulimit -Sn " + soft + " && exec \"$0\" " + jvmFlag + " -jar \"$1\"", java, jar.toString());
    pb.environment().keySet().removeIf(k -> k.startsWith("KASOKU_"));
    pb.environment().put("KASOKU_DATA_DIR", work.resolve("data-" + soft + jvmFlag.length()).toString());
    pb.environment().put("KASOKU_BIND_ADDRESS", "127.0.0.1");
    pb.environment().put("KASOKU_API_PORT", String.valueOf(ports.get(0)));
    pb.environment().put("KASOKU_EDGE_PORT", String.valueOf(ports.get(1)));
    pb.environment().put("KASOKU_EDGE_TLS_PORT", String.valueOf(ports.get(2)));
    Path out = work.resolve("kasoku-" + soft + "-" + jvmFlag.length() + ".log");
    pb.redirectErrorStream(true).redirectOutput(out.toFile()).directory(work.toFile());
    process = pb.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    int status = 0;
    while (status != 200 && System.nanoTime() < deadline && process.isAlive()) {
      try {
        status = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports.get(0) + "/readyz"))
            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
      } catch (java.io.IOException notYet) {
        Thread.sleep(200);
      }
    }
    assertThat(status).as(Files.readString(out)).isEqualTo(200);
    process.destroy();
    assertThat(process.waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(Files.readString(out)).isZero();
    return Files.readString(out);
  }

  @Test
  void theSoftLimitIsRaisedToTheHardOneAndBothAreLogged() throws Exception {
    OpenFileLimit here = OpenFileLimit.current();
    long hard = here.hard();
    String log = runWithSoftLimit(Math.min(1024, hard), "-XX:+MaxFDLimit");
    assertThat(log).contains("open files: soft limit " + hard + ", hard limit " + hard)
        .doesNotContain("below the hard one");
  }

  @Test
  void withTheRaiseTurnedOffKasokuWarnsAndSizesTheConnectionCapFromTheSoftLimit() throws Exception {
    OpenFileLimit here = OpenFileLimit.current();
    long soft = 1024;
    if (here.hard() <= soft) {
      return; // nothing to raise on this machine
    }
    String log = runWithSoftLimit(soft, "-XX:-MaxFDLimit");
    int cap = KasokuConfig.EdgeConnections.DEFAULTS.resolveMaxTotal(new OpenFileLimit(soft, here.hard()));
    assertThat(log).contains("open files: soft limit 1024, hard limit " + here.hard())
        .contains("the soft open-file limit is below the hard one").contains("ulimit -n " + here.hard())
        .contains("at most " + cap + " client connections (256 per address)");
  }
}
