package dev.kasoku.logging;

import java.time.Duration;

/**
 * Tunables of the logging role.
 *
 * @param auditRetention how long audit records are kept ({@code KASOKU_AUDIT_RETENTION}); older ones
 *     are cut off the front of their chain, leaving a checkpoint to verify from
 * @param logRetention how long stored access logs of a tenant that set no retention of its own are
 *     kept (a tenant sets its own with {@code PUT /v1/tenants/{t}/log-settings}); whole hour files
 *     older than that are erased
 * @param sweepEvery how often this instance applies the retention
 * @param intakeRetries attempts at storing one audit event while the store fails, before it is
 *     logged as lost
 */
public record LoggingSettings(Duration auditRetention, Duration logRetention, Duration sweepEvery,
                              int intakeRetries) {
  /** 400 days ({@code KASOKU_AUDIT_RETENTION}'s default): a year of records plus a month, for an annual audit that runs late. */
  public static final Duration DEFAULT_AUDIT_RETENTION = dev.kasoku.common.config.KasokuConfig.DEFAULT_AUDIT_RETENTION;
  /** 30 days, what the major CDNs keep for download too. */
  public static final Duration DEFAULT_LOG_RETENTION = Duration.ofDays(30);
  public static final Duration DEFAULT_SWEEP_EVERY = Duration.ofHours(1);
  /** With the doubling back-off from 250 ms capped at 10 s: about a minute of store outage. */
  public static final int DEFAULT_INTAKE_RETRIES = 10;

  public LoggingSettings {
    if (auditRetention.toMillis() < 1 || logRetention.toMillis() < 1 || sweepEvery.toMillis() < 1 || intakeRetries < 1) {
      throw new IllegalArgumentException("audit retention, sweep interval and retries must be positive");
    }
  }

  /** These settings with another audit retention. */
  public LoggingSettings withAuditRetention(Duration retention) {
    return new LoggingSettings(retention, logRetention, sweepEvery, intakeRetries);
  }

  public static LoggingSettings defaults() {
    return new LoggingSettings(DEFAULT_AUDIT_RETENTION, DEFAULT_LOG_RETENTION, DEFAULT_SWEEP_EVERY,
        DEFAULT_INTAKE_RETRIES);
  }
}
