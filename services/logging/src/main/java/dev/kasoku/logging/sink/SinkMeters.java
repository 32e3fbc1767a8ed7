package dev.kasoku.logging.sink;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.DoubleSupplier;

/**
 * The log sinks' meters for SREs, without any tenant or sink label (bounded cardinality): the worst
 * lag of any sink on this instance ({@code kasoku_log_sink_lag_seconds}), records accepted by
 * receivers ({@code kasoku_log_sink_delivered_total}), batches not accepted
 * ({@code kasoku_log_sink_errors_total}) and records given up for the lag bound
 * ({@code kasoku_log_sink_skipped_total}).
 */
final class SinkMeters {
  static final String LAG = "kasoku.log.sink.lag";
  static final String DELIVERED = "kasoku.log.sink.delivered";
  static final String ERRORS = "kasoku.log.sink.errors";
  static final String SKIPPED = "kasoku.log.sink.skipped";
  private final MeterRegistry registry;
  private final Gauge lag;
  private final Counter delivered;
  private final Counter errors;
  private final Counter skipped;

  SinkMeters(MeterRegistry registry, DoubleSupplier maxLagSeconds) {
    this.registry = registry;
    this.lag = Gauge.builder(LAG, maxLagSeconds::getAsDouble)
        .description("Age of the oldest stored access-log record a log sink of this instance has not delivered yet")
        .baseUnit("seconds")
        .register(registry);
    this.delivered = Counter.builder(DELIVERED).description("Access-log records accepted by log sinks").register(registry);
    this.errors = Counter.builder(ERRORS).description("Log-sink batches not accepted (each retried)").register(registry);
    this.skipped = Counter.builder(SKIPPED).description("Access-log records log sinks gave up for their lag bound")
        .register(registry);
  }

  void delivered(long n) {
    delivered.increment(n);
  }

  void error() {
    errors.increment();
  }

  void skipped(long n) {
    skipped.increment(n);
  }

  void close() {
    registry.remove(lag);
  }
}
