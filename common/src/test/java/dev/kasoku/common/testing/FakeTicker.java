package dev.kasoku.common.testing;

import dev.kasoku.common.time.Ticker;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Ticker} a test moves by hand, and that can also move itself by a fixed step on every
 * reading (to drive a deadline loop without sleeping). Thread-safe.
 */
public final class FakeTicker implements Ticker {
  private final AtomicLong nanos = new AtomicLong();
  private volatile long stepNanos;

  public void advance(Duration d) {
    nanos.addAndGet(d.toNanos());
  }

  /** From now on every {@link #read} returns the time and then moves it on by {@code step}. */
  public FakeTicker advanceOnEveryRead(Duration step) {
    stepNanos = step.toNanos();
    return this;
  }

  @Override
  public long read() {
    return nanos.getAndAdd(stepNanos);
  }
}
