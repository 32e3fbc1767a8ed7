package dev.kasoku.common.bus;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.Objects;

/**
 * One event-bus address bound to the one record type that travels on it. Services reach the bus
 * only through the channels {@link Addresses} declares, so an address is written once, a consumer
 * cannot subscribe with the wrong message type, and a test can check that no class outside this
 * package talks to the {@link EventBus} with an address string of its own.
 *
 * <p>Channels carry no state besides their address and type; they are immutable and shared.
 *
 * @param <T> the message record of this address (registered with {@link RecordCodec})
 */
public final class Channel<T extends Record> {
  private final String address;
  private final Class<T> type;

  /** Only {@link Addresses} declares channels. */
  Channel(String address, Class<T> type) {
    this.address = Objects.requireNonNull(address, "address");
    this.type = Objects.requireNonNull(type, "type");
  }

  /** The address as the event bus knows it. */
  public String address() {
    return address;
  }

  /** The record type that travels on this address. */
  public Class<T> type() {
    return type;
  }

  /** Delivers to every consumer of the address (cluster-wide on a clustered bus). */
  public void publish(EventBus bus, T message) {
    bus.publish(address, message);
  }

  /** Delivers to one consumer of the address, chosen by the bus (round robin). */
  public void send(EventBus bus, T message) {
    bus.send(address, message);
  }

  /** {@link #send(EventBus, Record)} with delivery options (headers, timeout). */
  public void send(EventBus bus, T message, DeliveryOptions options) {
    bus.send(address, message, options);
  }

  /** Delivers to one consumer and completes with its reply (or the bus's failure: no handlers, timeout). */
  public <R> Future<Message<R>> request(EventBus bus, T message, DeliveryOptions options) {
    return bus.request(address, message, options);
  }

  /** Subscribes cluster-wide; the returned consumer's {@code completion()} says when it is registered. */
  public MessageConsumer<T> consumer(EventBus bus, Handler<Message<T>> handler) {
    return bus.consumer(address, handler);
  }

  @Override
  public String toString() {
    return address + " (" + type.getSimpleName() + ")";
  }
}
