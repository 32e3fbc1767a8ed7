package dev.kasoku.launcher;

import dev.kasoku.common.testing.FreePorts;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A private {@code redis-server} for the Redis fault tests, on its own free loopback port with the
 * append-only file on (in the test's directory), so that a stop and a start keep what was written, as
 * a production Redis does. Never the shared test Redis. {@link #close} resumes and kills it.
 */
final class AofRedis implements AutoCloseable {
  private final int port = FreePorts.next();
  private final Path dir;
  private Process process;

  AofRedis(Path dir) throws IOException {
    this.dir = Files.createDirectories(dir);
  }

  String url() {
    return "redis://127.0.0.1:" + port;
  }

  Process process() {
    return process;
  }

  /** Starts it (again, on the same port and files) and waits until it answers PING. */
  void start() throws Exception {
    String binary = System.getenv().getOrDefault("KASOKU_TEST_REDIS_SERVER", "redis-server");
    process = new ProcessBuilder(binary, "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", "yes", "--dir", dir.toString(), "--protected-mode", "no")
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("redis.log").toFile()))
        .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!answersPing()) {
      if (!process.isAlive() || System.nanoTime() > deadline) {
        process.destroyForcibly();
        throw new IllegalStateException("redis-server did not start on " + port + ":\n"
            + Files.readString(dir.resolve("redis.log")));
      }
      Thread.sleep(20);
    }
  }

  /** SIGTERM: Redis writes out its append-only file and exits. */
  void stop() throws Exception {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  private boolean answersPing() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      s.setSoTimeout(500);
      OutputStream out = s.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      byte[] buf = in.readNBytes(7);
      return new String(buf, StandardCharsets.US_ASCII).equals("+PONG\r\n");
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public void close() throws Exception {
    if (process != null && process.isAlive()) {
      new ProcessBuilder("kill", "-CONT", Long.toString(process.pid())).start().waitFor(5, TimeUnit.SECONDS);
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
