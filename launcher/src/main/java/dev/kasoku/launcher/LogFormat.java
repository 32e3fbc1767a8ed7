package dev.kasoku.launcher;

import dev.kasoku.common.json.Timestamps;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.text.MessageFormat;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Locale;
import java.util.Set;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/**
 * One log record per line: {@code 2026-01-31T12:00:00.123Z INFO dev.kasoku.launcher.Launcher - message},
 * timestamps in UTC with millisecond precision whatever the host's zone (docs/security-controls.md,
 * 12.4.4), a stack trace only when a record carries one.
 *
 * <p>Numbers in a record's parameters are written as plain digits ({@code port 8080}, not the
 * locale's {@code 8,080} that {@link MessageFormat} would make of them), so a log line reads the same
 * on every host and a port, a count or an id can be searched for and parsed.
 */
public final class LogFormat extends Formatter {

  @Override
  public String format(LogRecord record) {
    StringBuilder line = new StringBuilder(160)
        .append(Timestamps.API.format(record.getInstant())).append(' ')
        .append(record.getLevel().getName()).append(' ')
        .append(record.getLoggerName()).append(" - ")
        .append(formatMessage(record)).append(System.lineSeparator());
    appendTrace(line, record.getThrown());
    return line.toString();
  }

  @Override
  public String formatMessage(LogRecord record) {
    String message = record.getMessage();
    Object[] params = record.getParameters();
    if (message == null || params == null || params.length == 0 || message.indexOf('{') < 0) {
      return super.formatMessage(record);
    }
    Object[] plain = new Object[params.length];
    for (int i = 0; i < params.length; i++) {
      plain[i] = params[i] instanceof Number n ? plainNumber(n) : params[i];
    }
    try {
      return new MessageFormat(message, Locale.ROOT).format(plain);
    } catch (IllegalArgumentException e) {
      return message; // not a pattern after all: the message as written
    }
  }

  private static String plainNumber(Number n) {
    if (n instanceof BigDecimal d) {
      return d.toPlainString();
    }
    if (n instanceof Double || n instanceof Float) {
      return new BigDecimal(n.toString()).stripTrailingZeros().toPlainString();
    }
    return n instanceof BigInteger ? n.toString() : Long.toString(n.longValue());
  }

  /** The usual "at ..." / "Caused by: ..." rendering of a throwable and its causes. */
  private static void appendTrace(StringBuilder out, Throwable thrown) {
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    String prefix = "";
    for (Throwable t = thrown; t != null && seen.add(t); t = t.getCause()) {
      out.append(prefix).append(t).append(System.lineSeparator());
      for (StackTraceElement frame : t.getStackTrace()) {
        out.append("\tat ").append(frame).append(System.lineSeparator());
      }
      prefix = "Caused by: ";
    }
  }
}
