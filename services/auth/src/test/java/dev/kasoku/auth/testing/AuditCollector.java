package dev.kasoku.auth.testing;

import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages.AuditEvent;
import dev.kasoku.common.testing.Await;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/** Stands in for the logging service: collects what is sent to kasoku.audit. */
public final class AuditCollector {
  private final List<AuditEvent> events = new CopyOnWriteArrayList<>();
  private final MessageConsumer<AuditEvent> consumer;

  public AuditCollector(Vertx vertx) {
    consumer = Addresses.AUDIT.consumer(vertx.eventBus(), m -> events.add(m.body()));
    Await.result(consumer.completion());
  }

  /** Waits (up to 2 s) for an event matching the predicate. */
  public AuditEvent await(Predicate<AuditEvent> p) {
    long deadline = System.currentTimeMillis() + 2000;
    while (System.currentTimeMillis() < deadline) {
      for (AuditEvent e : events) {
        if (p.test(e)) {
          return e;
        }
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(ex);
      }
    }
    throw new AssertionError("no matching audit event among " + events);
  }

  public List<AuditEvent> events() {
    return List.copyOf(events);
  }

  public void close() {
    Await.result(consumer.unregister());
  }
}
