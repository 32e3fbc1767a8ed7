package dev.kasoku.common.store.impl;

import dev.kasoku.common.store.StoreUnavailableException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The store's Prometheus meters, the same for both backends and labelled by operation kind only
 * ({@code operation="read"} or {@code "write"}; never a key, tenant or command):
 * {@code kasoku_store_operation_seconds} (a histogram of every call's latency, from the call to its
 * answer) and {@code kasoku_store_errors_total} (calls that failed because of the backend: unavailable,
 * timed out, or an unexpected backend error). A refusal that is an answer (a hostname conflict, a
 * stale version) is not an error.
 */
public final class StoreMeters {
  /** The kind of a store call. */
  public enum Operation {
    READ, WRITE;

    final String label = name().toLowerCase(Locale.ROOT);
  }

  private static final Duration[] BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10),
      Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
      Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(10)};

  private final Timer[] latency = new Timer[Operation.values().length];
  private final Counter[] errors = new Counter[Operation.values().length];

  public StoreMeters(MeterRegistry registry) {
    for (Operation op : Operation.values()) {
      latency[op.ordinal()] = Timer.builder("kasoku.store.operation")
          .description("Latency of store calls, from the call to its answer or failure")
          .tag("operation", op.label)
          .serviceLevelObjectives(BUCKETS)
          .register(registry);
      errors[op.ordinal()] = Counter.builder("kasoku.store.errors")
          .description("Store calls that failed because of the backend (unavailable, timed out, backend error)")
          .tag("operation", op.label)
          .register(registry);
    }
  }

  /** Records {@code call} (started at {@code startNanos}, {@link System#nanoTime}) when it completes; returns it. */
  public <T> Future<T> observe(Operation op, long startNanos, Future<T> call) {
    return call.andThen(ar -> {
      latency[op.ordinal()].record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
      if (ar.failed() && isBackendFailure(ar.cause())) {
        errors[op.ordinal()].increment();
      }
    });
  }

  private static boolean isBackendFailure(Throwable e) {
    return e instanceof StoreUnavailableException || e instanceof IllegalStateException;
  }
}
