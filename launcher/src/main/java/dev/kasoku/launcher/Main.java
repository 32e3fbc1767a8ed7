package dev.kasoku.launcher;

import dev.kasoku.common.config.ConfigException;
import dev.kasoku.common.config.ConfigLoader;
import dev.kasoku.common.config.KasokuConfig;
import io.vertx.core.Future;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code java -jar kasoku.jar}: reads the configuration, starts the {@link Launcher}, and turns
 * SIGTERM (or Ctrl-C) into a graceful shutdown.
 *
 * <p>Exit codes: 0 after a clean shutdown; 1 when start-up fails or shutdown did not finish
 * cleanly; 2 for invalid configuration. Invalid configuration is reported as exactly one line on
 * stderr naming the key and the value, so it reads well in {@code kubectl logs} and CI output.
 *
 * <p>Why the shutdown hook ends with {@code Runtime.halt}: a JVM stopped by SIGTERM otherwise exits
 * with 143 even when every step of the shutdown succeeded, and orchestrators report that as a
 * failure. The hook only halts after the launcher has finished stopping (or its time is up).
 */
public final class Main {
  static {
    // Before the first logger exists, and before KasokuLogManager's class is touched: loading a
    // LogManager subclass initialises LogManager, which reads this property exactly once.
    if (System.getProperty("java.util.logging.manager") == null) {
      System.setProperty("java.util.logging.manager", "dev.kasoku.launcher.KasokuLogManager");
    }
    KasokuLogManager.configure();
  }

  private static final System.Logger LOG = System.getLogger(Main.class.getName());
  /** Exit code for invalid configuration. */
  static final int EXIT_CONFIG = 2;
  static final int EXIT_FAILURE = 1;
  /** Shutdown gets the configured grace plus this for closing the store and leaving the cluster. */
  private static final Duration SHUTDOWN_MARGIN = Duration.ofSeconds(2).plus(Launcher.CLOSE_TIMEOUT);

  /** How often, while the start runs, a stop signal tells an edge warm-up that began since to end. */
  private static final long WARM_UP_CUT_POLL_MS = 100;

  private Main() {}

  public static void main(String[] args) {
    KasokuConfig config;
    try {
      config = ConfigLoader.fromEnvironment();
    } catch (ConfigException e) {
      // The process's contract with its operator, not logging: one line, then exit.
      System.err.println("kasoku: invalid configuration: " + e.getMessage());
      System.exit(EXIT_CONFIG);
      return;
    }
    Future<Launcher> starting = Launcher.start(config);
    // Registered before start completes: /healthz answers early, so an orchestrator may well send
    // SIGTERM while the roles are still deploying; the hook then waits for the start and stops.
    Duration bound = config.shutdownGrace().plus(SHUTDOWN_MARGIN);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> stopOnSignal(starting, bound), "kasoku-shutdown"));
    try {
      starting.await();
    } catch (StartupException e) {
      LOG.log(Level.ERROR, "start-up failed: " + e.getMessage(), e.showTrace() ? e.getCause() : null);
      System.exit(EXIT_FAILURE);
    } catch (ConfigException e) {
      LOG.log(Level.ERROR, "start-up failed: " + e.getMessage());
      System.exit(EXIT_FAILURE);
    } catch (RuntimeException e) {
      LOG.log(Level.ERROR, "start-up failed: " + e.getMessage(), e);
      System.exit(EXIT_FAILURE);
    }
  }

  private static void stopOnSignal(Future<Launcher> starting, Duration bound) {
    long deadline = System.nanoTime() + bound.toNanos();
    CountDownLatch started = new CountDownLatch(1);
    starting.onComplete(ar -> started.countDown());
    // while the start still runs, an edge warming itself up ends its warm-up (one that begins
    // meanwhile too, at the next round), so the stop waits for the rest of the deployment only
    try {
      do {
        Launcher.endWarmUps();
      } while (!started.await(WARM_UP_CUT_POLL_MS, TimeUnit.MILLISECONDS) && System.nanoTime() < deadline);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Launcher launcher;
    try {
      launcher = starting.await(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
    } catch (Exception startFailed) {
      return; // nothing runs; the JVM exits with the code main chose (or the signal's)
    }
    int code = 0;
    try {
      launcher.stop().await(bound.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      LOG.log(Level.ERROR, "shutdown did not finish cleanly: " + e.getMessage());
      code = EXIT_FAILURE;
    }
    KasokuLogManager.flush();
    Runtime.getRuntime().halt(code);
  }
}
