package dev.kasoku.common.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A private {@code redis-server} child process on a free loopback port, without persistence, for
 * tests that must stop and restart Redis (outages) without touching the shared test Redis. The
 * binary is {@code redis-server} on the PATH, or {@code KASOKU_TEST_REDIS_SERVER}.
 *
 * <pre>{@code
 * try (RedisServerProcess redis = RedisServerProcess.start()) {
 *   ... redis.url() ...
 *   redis.kill();     // SIGKILL: an outage
 *   redis.restart();  // same port, empty
 * }
 * }</pre>
 */
public final class RedisServerProcess implements AutoCloseable {
  private static final long START_TIMEOUT_MS = 10_000;
  private final int port;
  private final Path dir;
  private Process process;

  private RedisServerProcess(int port, Path dir) {
    this.port = port;
    this.dir = dir;
  }

  /** Starts a server on a free port and waits until it answers PING. */
  public static RedisServerProcess start() {
    RedisServerProcess server = new RedisServerProcess(FreePorts.next(), TempStores.newDirectory());
    server.restart();
    return server;
  }

  public int port() {
    return port;
  }

  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  public boolean running() {
    return process != null && process.isAlive();
  }

  /** (Re)starts the server on the same port; it comes back empty. */
  public synchronized void restart() {
    if (running()) {
      throw new IllegalStateException("redis-server on port " + port + " is already running");
    }
    String binary = System.getenv().getOrDefault("KASOKU_TEST_REDIS_SERVER", "redis-server");
    try {
      process = new ProcessBuilder(binary, "--port", Integer.toString(port), "--bind", "127.0.0.1",
          "--save", "", "--appendonly", "no", "--dir", dir.toString(), "--protected-mode", "no")
          .redirectErrorStream(true)
          .redirectOutput(dir.resolve("redis.log").toFile())
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + binary + " (set KASOKU_TEST_REDIS_SERVER)", e);
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
    while (!answersPing()) {
      if (!process.isAlive() || System.nanoTime() > deadline) {
        String log = readLog();
        kill();
        throw new IllegalStateException("redis-server did not start on port " + port + ":\n" + log);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  /** SIGKILL: the server vanishes without closing anything gracefully. */
  public synchronized void kill() {
    if (process != null) {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      process = null;
    }
  }

  @Override
  public void close() {
    kill();
    TempStores.deleteRecursively(dir);
  }

  private boolean answersPing() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      s.setSoTimeout(500);
      OutputStream out = s.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      byte[] buf = new byte[7];
      int n = in.readNBytes(buf, 0, 7);
      return n == 7 && new String(buf, StandardCharsets.US_ASCII).equals("+PONG\r\n");
    } catch (IOException e) {
      return false;
    }
  }

  private String readLog() {
    try {
      return Files.readString(dir.resolve("redis.log"));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }
}
