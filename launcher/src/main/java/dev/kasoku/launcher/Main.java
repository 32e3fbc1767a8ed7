package dev.kasoku.launcher;

import dev.kasoku.common.config.ConfigException;
import dev.kasoku.common.config.ConfigLoader;
import dev.kasoku.common.config.KasokuConfig;
import java.lang.System.Logger.Level;
import java.time.Duration;
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
    // Before the first logger exists: our log manager keeps logging alive during shutdown.
    KasokuLogManager.install();
  }

  private static final System.Logger LOG = System.getLogger(Main.class.getName());
  /** Exit code for invalid configuration. */
  static final int EXIT_CONFIG = 2;
  static final int EXIT_FAILURE = 1;
  /** Shutdown gets the configured grace plus this for closing the store and leaving the cluster. */
  private static final Duration SHUTDOWN_MARGIN = Duration.ofSeconds(2).plus(Launcher.CLOSE_TIMEOUT);

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
    Launcher launcher;
    try {
      launcher = Launcher.start(config).await();
    } catch (StartupException | ConfigException e) {
      LOG.log(Level.ERROR, "start-up failed: " + e.getMessage());
      System.exit(EXIT_FAILURE);
      return;
    } catch (RuntimeException e) {
      LOG.log(Level.ERROR, "start-up failed: " + e.getMessage(), e);
      System.exit(EXIT_FAILURE);
      return;
    }
    Duration bound = config.shutdownGrace().plus(SHUTDOWN_MARGIN);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      int code = 0;
      try {
        launcher.stop().await(bound.toMillis(), TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        LOG.log(Level.ERROR, "shutdown did not finish cleanly: " + e.getMessage());
        code = EXIT_FAILURE;
      }
      KasokuLogManager.flush();
      Runtime.getRuntime().halt(code);
    }, "kasoku-shutdown"));
  }
}
