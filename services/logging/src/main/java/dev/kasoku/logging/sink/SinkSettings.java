package dev.kasoku.logging.sink;

import java.time.Duration;

/**
 * Tunables of log shipping (the per-sink settings are in {@link LogSink}).
 *
 * @param retryMin first wait after a failed batch; doubled after each further failure
 * @param retryMax longest wait between two attempts at a batch
 * @param misconfiguredRetry wait between attempts while the receiver refuses the sink's requests
 *     (4xx); a new PUT of the sink retries at once
 * @param requestTimeout bound of one delivery (connect, send, answer)
 * @param reloadEvery how often this instance checks whether another one replaced a sink list
 * @param healthEvery how often an idle or failing sink stores its health (a delivering one stores it
 *     with every accepted batch)
 */
public record SinkSettings(Duration retryMin, Duration retryMax, Duration misconfiguredRetry,
                           Duration requestTimeout, Duration reloadEvery, Duration healthEvery) {
  public static final Duration DEFAULT_RETRY_MIN = Duration.ofSeconds(1);
  /** A receiver back from an outage gets its backlog within a minute of its return. */
  public static final Duration DEFAULT_RETRY_MAX = Duration.ofSeconds(60);
  public static final Duration DEFAULT_MISCONFIGURED_RETRY = Duration.ofMinutes(1);
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
  public static final Duration DEFAULT_RELOAD_EVERY = Duration.ofSeconds(2);
  public static final Duration DEFAULT_HEALTH_EVERY = Duration.ofSeconds(5);

  public SinkSettings {
    for (Duration d : new Duration[] {retryMin, retryMax, misconfiguredRetry, requestTimeout, reloadEvery, healthEvery}) {
      if (d == null || d.toMillis() < 1) {
        throw new IllegalArgumentException("log sink settings must be positive durations");
      }
    }
    if (retryMax.compareTo(retryMin) < 0) {
      throw new IllegalArgumentException("retryMax must not be shorter than retryMin");
    }
  }

  public static SinkSettings defaults() {
    return new SinkSettings(DEFAULT_RETRY_MIN, DEFAULT_RETRY_MAX, DEFAULT_MISCONFIGURED_RETRY, DEFAULT_REQUEST_TIMEOUT,
        DEFAULT_RELOAD_EVERY, DEFAULT_HEALTH_EVERY);
  }
}
