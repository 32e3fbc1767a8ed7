package dev.kasoku.logging;

import java.time.Duration;

/**
 * Tunables of the logging role.
 *
 * @param auditRetention how long audit records are kept; older ones are cut off the front of their
 *     chain, leaving a checkpoint to verify from
 * @param sweepEvery how often this instance applies the retention
 * @param intakeRetries attempts at storing one audit event while the store fails, before it is
 *     logged as lost
 */
public record LoggingSettings(Duration auditRetention, Duration sweepEvery, int intakeRetries) {
  /** 400 days: a year of records plus a month, for an annual audit that runs late. */
  public static final Duration DEFAULT_AUDIT_RETENTION = Duration.ofDays(400);
  public static final Duration DEFAULT_SWEEP_EVERY = Duration.ofHours(1);
  /** With the doubling back-off from 250 ms capped at 10 s: about a minute of store outage. */
  public static final int DEFAULT_INTAKE_RETRIES = 10;

  public LoggingSettings {
    if (auditRetention.isNegative() || auditRetention.isZero() || sweepEvery.toMillis() < 1 || intakeRetries < 1) {
      throw new IllegalArgumentException("audit retention, sweep interval and retries must be positive");
    }
  }

  public static LoggingSettings defaults() {
    return new LoggingSettings(DEFAULT_AUDIT_RETENTION, DEFAULT_SWEEP_EVERY, DEFAULT_INTAKE_RETRIES);
  }
}
