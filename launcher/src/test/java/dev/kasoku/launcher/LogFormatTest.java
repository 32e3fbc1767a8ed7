package dev.kasoku.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

/** Log lines carry UTC timestamps with millisecond precision, one record per line (12.4.4). */
class LogFormatTest {
  private final LogFormat format = new LogFormat();

  @Test
  void recordIsOneLineWithAUtcMillisecondTimestamp() {
    LogRecord r = new LogRecord(Level.INFO, "role {0} started");
    r.setParameters(new Object[] {"purge"});
    r.setInstant(Instant.parse("2026-01-31T12:00:00.123456Z"));
    r.setLoggerName("dev.kasoku.launcher.Launcher");
    assertThat(format.format(r))
        .isEqualTo("2026-01-31T12:00:00.123Z INFO dev.kasoku.launcher.Launcher - role purge started" + System.lineSeparator());
  }

  @Test
  void aThrowableIsRenderedWithItsCauses() {
    LogRecord r = new LogRecord(Level.SEVERE, "start-up failed");
    r.setInstant(Instant.parse("2026-01-31T12:00:00Z"));
    r.setLoggerName("x");
    r.setThrown(new IllegalStateException("outer", new java.io.IOException("inner")));
    String out = format.format(r);
    assertThat(out).startsWith("2026-01-31T12:00:00.000Z SEVERE x - start-up failed" + System.lineSeparator()
        + "java.lang.IllegalStateException: outer");
    assertThat(out).contains("\tat dev.kasoku.launcher.LogFormatTest").contains("Caused by: java.io.IOException: inner");
  }

  /** Regression: the edge's start line said "listening on port 8,080" (MessageFormat's locale grouping). */
  @Test
  void numbersArePrintedAsPlainDigits() {
    LogRecord r = new LogRecord(Level.INFO, "listening on port {0}, {1} objects, {2} ms, ratio {3}");
    r.setParameters(new Object[] {8080, 1_234_567L, 1500.0, 0.25});
    r.setInstant(Instant.parse("2026-01-31T12:00:00Z"));
    r.setLoggerName("x");
    assertThat(format.format(r)).endsWith(" - listening on port 8080, 1234567 objects, 1500 ms, ratio 0.25"
        + System.lineSeparator());
  }

  @Test
  void aMessageThatIsNotAPatternIsWrittenAsItIs() {
    LogRecord r = new LogRecord(Level.INFO, "a brace { that opens nothing");
    r.setParameters(new Object[] {1});
    r.setInstant(Instant.parse("2026-01-31T12:00:00Z"));
    r.setLoggerName("x");
    assertThat(format.format(r)).endsWith(" - a brace { that opens nothing" + System.lineSeparator());
  }
}
