package dev.kasoku.logging.sink;

import dev.kasoku.common.testing.FreePorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real rsyslog (Debian packages {@code rsyslog} and {@code rsyslog-gnutls}) started in the
 * foreground by a test ({@code rsyslogd -n -f <conf> -i <pidfile>}): imtcp on a free loopback port,
 * plain or TLS (gtls, anonymous clients), every message written by omfile to a file, one line per
 * message: {@code APP-NAME HOSTNAME FACILITY SEVERITY TIMESTAMP MSG}. {@link #close} stops it.
 *
 * <p>A missing rsyslogd fails the test (CI installs it, {@code .ci/run}); nothing is skipped.
 * {@code KASOKU_TEST_RSYSLOGD} names another binary.
 */
final class RsyslogProcess implements AutoCloseable {
  private final Path dir;
  private final int port;
  private final Process process;

  private RsyslogProcess(Path dir, int port, Process process) {
    this.dir = dir;
    this.port = port;
    this.process = process;
  }

  /** rsyslog over plain TCP (RFC 6587 octet counting is on by default in imtcp). */
  static RsyslogProcess tcp(Path dir) {
    return start(dir, null);
  }

  /** rsyslog over TLS (RFC 5425) with this server certificate. */
  static RsyslogProcess tls(Path dir, String caPem, TestCa.Issued server) {
    return start(dir, new String[] {caPem, server.certificatePem(), server.privateKeyPem()});
  }

  static String binary() {
    String configured = System.getenv("KASOKU_TEST_RSYSLOGD");
    if (configured != null && !configured.isBlank()) {
      return configured;
    }
    List<String> candidates = new ArrayList<>();
    for (String p : System.getenv().getOrDefault("PATH", "").split(":")) {
      candidates.add(p + "/rsyslogd");
    }
    candidates.addAll(List.of("/usr/sbin/rsyslogd", "/sbin/rsyslogd"));
    for (String c : candidates) {
      if (Files.isExecutable(Path.of(c))) {
        return c;
      }
    }
    throw new AssertionError("rsyslogd not found: install the Debian packages rsyslog and rsyslog-gnutls"
        + " (.ci/run does) or set KASOKU_TEST_RSYSLOGD");
  }

  private static RsyslogProcess start(Path dir, String[] tls) {
    try {
      Files.createDirectories(dir);
      int port = FreePorts.next();
      StringBuilder conf = new StringBuilder();
      if (tls != null) {
        Files.writeString(dir.resolve("ca.pem"), tls[0]);
        Files.writeString(dir.resolve("cert.pem"), tls[1]);
        Files.writeString(dir.resolve("key.pem"), tls[2]);
        conf.append("global(workDirectory=\"").append(dir).append("\" DefaultNetstreamDriver=\"gtls\"")
            .append(" DefaultNetstreamDriverCAFile=\"").append(dir.resolve("ca.pem")).append("\"")
            .append(" DefaultNetstreamDriverCertFile=\"").append(dir.resolve("cert.pem")).append("\"")
            .append(" DefaultNetstreamDriverKeyFile=\"").append(dir.resolve("key.pem")).append("\")\n");
        conf.append("module(load=\"imtcp\" StreamDriver.Name=\"gtls\" StreamDriver.Mode=\"1\""
            + " StreamDriver.AuthMode=\"anon\")\n");
      } else {
        conf.append("global(workDirectory=\"").append(dir).append("\")\n");
        conf.append("module(load=\"imtcp\")\n");
      }
      conf.append("template(name=\"line\" type=\"string\" string=\"%APP-NAME% %HOSTNAME% %syslogfacility-text%"
          + " %syslogseverity-text% %timereported:::date-rfc3339% %msg%\\n\")\n");
      conf.append("input(type=\"imtcp\" address=\"127.0.0.1\" port=\"").append(port).append("\")\n");
      conf.append("action(type=\"omfile\" file=\"").append(dir.resolve("received.log"))
          .append("\" template=\"line\" flushOnTXEnd=\"on\" asyncWriting=\"off\")\n");
      Path confFile = dir.resolve("rsyslog.conf");
      Files.writeString(confFile, conf.toString());
      Process p = new ProcessBuilder(binary(), "-n", "-f", confFile.toString(), "-i", dir.resolve("rsyslogd.pid").toString())
          .redirectErrorStream(true)
          .redirectOutput(dir.resolve("rsyslogd.out").toFile())
          .start();
      RsyslogProcess r = new RsyslogProcess(dir, port, p);
      r.awaitListening();
      return r;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void awaitListening() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (true) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException notYet) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          String out = output();
          close();
          throw new AssertionError("rsyslogd did not listen on 127.0.0.1:" + port + ":\n" + out);
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError(e);
        }
      }
    }
  }

  int port() {
    return port;
  }

  /** The messages written so far, one per line. */
  List<String> received() {
    Path f = dir.resolve("received.log");
    try {
      return Files.exists(f) ? Files.readAllLines(f, StandardCharsets.UTF_8) : List.of();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String output() {
    try {
      Path f = dir.resolve("rsyslogd.out");
      return Files.exists(f) ? Files.readString(f) : "";
    } catch (IOException e) {
      return e.toString();
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
