package dev.kasoku.purge;

import java.time.Duration;
import java.util.Objects;

/**
 * Tunables of the purge service, validated once.
 *
 * @param waitTimeout how long {@code ?wait=true} waits for every live edge before answering
 *     {@code partial}; also the age after which a purge still missing acks is reported as partial
 * @param edgeExpiry an edge whose last heartbeat is older than this no longer counts as live
 * @param rateCapacity purges a tenant may issue per {@code rateWindow}, across all purge instances
 * @param rateWindow the rate limiter's window
 * @param statusRetention how long a purge's status stays queryable
 * @param maxTracked bound on purges whose status is held in memory (oldest dropped first)
 */
public record PurgeSettings(Duration waitTimeout, Duration edgeExpiry, int rateCapacity, Duration rateWindow,
                            Duration statusRetention, int maxTracked) {
  public static final Duration DEFAULT_WAIT_TIMEOUT = Duration.ofSeconds(3);
  /** Three missed edge heartbeats (sent every second). */
  public static final Duration DEFAULT_EDGE_EXPIRY = Duration.ofSeconds(3);
  public static final int DEFAULT_RATE_CAPACITY = 600;
  public static final Duration DEFAULT_RATE_WINDOW = Duration.ofMinutes(1);
  public static final Duration DEFAULT_STATUS_RETENTION = Duration.ofHours(1);
  public static final int DEFAULT_MAX_TRACKED = 200_000;
  /** Most targets one purge may name (the purge body's limit in docs/openapi.yaml). */
  public static final int MAX_TARGETS = 1000;

  public PurgeSettings {
    requirePositive(waitTimeout, "waitTimeout");
    requirePositive(edgeExpiry, "edgeExpiry");
    requirePositive(rateWindow, "rateWindow");
    requirePositive(statusRetention, "statusRetention");
    if (rateWindow.toMillis() < 1000) {
      throw new IllegalArgumentException("rateWindow must be at least 1s, was " + rateWindow);
    }
    if (rateCapacity < 1) {
      throw new IllegalArgumentException("rateCapacity must be >= 1, was " + rateCapacity);
    }
    if (maxTracked < 1) {
      throw new IllegalArgumentException("maxTracked must be >= 1, was " + maxTracked);
    }
  }

  public static PurgeSettings defaults() {
    return new PurgeSettings(DEFAULT_WAIT_TIMEOUT, DEFAULT_EDGE_EXPIRY, DEFAULT_RATE_CAPACITY,
        DEFAULT_RATE_WINDOW, DEFAULT_STATUS_RETENTION, DEFAULT_MAX_TRACKED);
  }

  public PurgeSettings withWaitTimeout(Duration d) {
    return new PurgeSettings(d, edgeExpiry, rateCapacity, rateWindow, statusRetention, maxTracked);
  }

  public PurgeSettings withRate(int capacity, Duration window) {
    return new PurgeSettings(waitTimeout, edgeExpiry, capacity, window, statusRetention, maxTracked);
  }

  private static void requirePositive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, was " + d);
    }
  }
}
