package dev.kasoku.logging.impl;

import dev.kasoku.common.bus.Messages.AccessLogBatch;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How far the edges' clocks are from this logging instance's: every batch carries the time its edge
 * sent it, compared on arrival with this instance's clock. The latest difference is the gauge
 * {@value #METER} (Prometheus {@code kasoku_log_clock_skew_seconds}; positive: the edge's clock is
 * behind, or the batch was slow on the bus); above {@link #WARN_SECONDS} either way it is logged as a
 * warning naming the edge, at most once per {@link #WARN_EVERY_MS}. Record timestamps are the
 * edges' clocks, so this is what tells an operator that NTP broke somewhere. Thread-safe.
 */
public final class ClockSkew {
  private static final System.Logger LOG = System.getLogger(ClockSkew.class.getName());
  public static final String METER = "kasoku.log.clock.skew";
  public static final double WARN_SECONDS = 1.0;
  static final long WARN_EVERY_MS = 60_000;

  private final Clock clock;
  private final MeterRegistry registry;
  private final AtomicLong latestMs = new AtomicLong();
  private final Gauge gauge;
  private final AtomicLong lastWarnNanos = new AtomicLong(System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(WARN_EVERY_MS));

  public ClockSkew(Clock clock, MeterRegistry registry) {
    this.clock = clock;
    this.registry = registry;
    this.gauge = Gauge.builder(METER, latestMs, ms -> ms.get() / 1000.0)
        .description("This logging instance's clock minus the send time of the latest edge batch")
        .baseUnit("seconds")
        .register(registry);
  }

  /** Compares the batch's send time (if it has one) with this instance's clock. */
  public void observe(AccessLogBatch batch) {
    if (batch.sentAt() == null) {
      return;
    }
    long skewMs = clock.millis() - batch.sentAt().toEpochMilli();
    latestMs.set(skewMs);
    if (Math.abs(skewMs) > WARN_SECONDS * 1000) {
      long now = System.nanoTime();
      long last = lastWarnNanos.get();
      if (now - last >= TimeUnit.MILLISECONDS.toNanos(WARN_EVERY_MS) && lastWarnNanos.compareAndSet(last, now)) {
        LOG.log(Level.WARNING, "clock skew of {0} s between edge {1} and this logging instance (its batch was sent"
            + " at {2}): access-log timestamps are the edge''s clock, check NTP on both", skewMs / 1000.0,
            batch.node(), batch.sentAt());
      }
    }
  }

  /** The latest skew in seconds. */
  public double latestSeconds() {
    return latestMs.get() / 1000.0;
  }

  public void close() {
    registry.remove(gauge);
  }
}
