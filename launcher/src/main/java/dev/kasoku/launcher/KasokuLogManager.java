package dev.kasoku.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.logging.Handler;
import java.util.logging.LogManager;
import java.util.logging.Logger;

/**
 * The JDK log manager with two changes for a server process:
 * <ul>
 *   <li>it reads {@code kasoku-logging.properties} from the jar (one line per record, UTC
 *       timestamps with milliseconds, Hazelcast's chatter at WARNING) unless the operator names
 *       their own file with {@code -Djava.util.logging.config.file};</li>
 *   <li>it ignores the {@code reset()} that the JDK's own shutdown hook performs: that hook runs in
 *       parallel with ours and would close the console handler while the launcher still logs
 *       "shutting down" and "stopped".</li>
 * </ul>
 */
public final class KasokuLogManager extends LogManager {
  static final String CONFIG_RESOURCE = "kasoku-logging.properties";
  private volatile boolean configuring;

  /**
   * Reads our logging config when this class is the JVM's log manager (Main sets
   * {@code -Djava.util.logging.manager} before any logger exists) and the operator gave no file.
   */
  static void configure() {
    if (LogManager.getLogManager() instanceof KasokuLogManager manager
        && System.getProperty("java.util.logging.config.file") == null
        && System.getProperty("java.util.logging.config.class") == null) {
      manager.configureFromJar();
    }
  }

  private void configureFromJar() {
    try (InputStream in = KasokuLogManager.class.getClassLoader().getResourceAsStream(CONFIG_RESOURCE)) {
      if (in == null) {
        return;
      }
      configuring = true;
      readConfiguration(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + CONFIG_RESOURCE, e);
    } finally {
      configuring = false;
    }
  }

  @Override
  public void reset() {
    // readConfiguration resets first: let that one through, ignore the JDK shutdown hook's.
    if (configuring) {
      super.reset();
    }
  }

  /** Flushes the root handlers (before the process halts). */
  static void flush() {
    for (Handler h : Logger.getLogger("").getHandlers()) {
      h.flush();
    }
  }
}
