package dev.kasoku.launcher;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * A bounded load through the edges for the fault tests: a few threads, each sending one request at a
 * time (each with a timeout) until {@link #stop} or until its request budget is spent, with a short
 * pause between requests so that the 2-core machine stays responsive. It counts what was served
 * (the answer the test expected) and what failed, with the first failures kept for the message.
 */
final class EdgeLoad implements AutoCloseable {
  /** One request of the load: returns null when the answer was as expected, else what was wrong. */
  interface Call {
    String run(int n) throws Exception;
  }

  private static final int MAX_REQUESTS_PER_THREAD = 20_000;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicInteger served = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();
  private final AtomicLong slowestNanos = new AtomicLong();
  private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
  private final List<Thread> threads = new ArrayList<>();

  EdgeLoad(int threadCount, IntFunction<Call> callOfThread) {
    for (int t = 0; t < threadCount; t++) {
      Call call = callOfThread.apply(t);
      Thread thread = new Thread(() -> {
        for (int n = 0; n < MAX_REQUESTS_PER_THREAD && running.get(); n++) {
          long t0 = System.nanoTime();
          String wrong;
          try {
            wrong = call.run(n);
          } catch (Exception | AssertionError e) {
            wrong = e.toString();
          }
          slowestNanos.accumulateAndGet(System.nanoTime() - t0, Math::max);
          if (wrong == null) {
            served.incrementAndGet();
          } else {
            failed.incrementAndGet();
            if (failures.size() < 10) {
              failures.add(wrong);
            }
          }
          try {
            Thread.sleep(5);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "edge-load-" + t);
      thread.setDaemon(true);
      threads.add(thread);
      thread.start();
    }
  }

  int served() {
    return served.get();
  }

  int failed() {
    return failed.get();
  }

  long slowestMs() {
    return TimeUnit.NANOSECONDS.toMillis(slowestNanos.get());
  }

  List<String> failures() {
    return List.copyOf(failures);
  }

  /** Stops the threads and waits for their request in flight (each is bounded by its timeout). */
  void stop() throws InterruptedException {
    running.set(false);
    for (Thread t : threads) {
      t.join(60_000);
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }

  @Override
  public String toString() {
    return served + " served, " + failed + " failed, slowest " + slowestMs() + " ms, first failures " + failures;
  }
}
