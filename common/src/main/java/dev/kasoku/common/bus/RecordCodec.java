package dev.kasoku.common.bus;

import dev.kasoku.common.json.Json;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The one codec used for every bus message: a Java record encoded as JSON.
 *
 * <p>Wire format (clustered bus): a 4-byte big-endian length {@code n}, then {@code n} bytes of UTF-8
 * JSON whose fields are the record's components; {@code Instant}s are ISO-8601 strings. JSON keeps
 * the format readable in a packet capture and tolerant of a field added in a newer version (unknown
 * fields are ignored on decode), which matters during a rolling upgrade.
 *
 * <p>Local delivery passes the instance through untouched: records are immutable. The codec is
 * stateless; it encodes with {@link Json#MAPPER}, the same JSON the store writes.
 */
public final class RecordCodec<T extends Record> implements MessageCodec<T, T> {
  private final Class<T> type;

  public RecordCodec(Class<T> type) {
    this.type = type;
  }

  /** Registers the codec of every message in {@link Messages#ALL} as that type's default codec. */
  public static void registerAll(Vertx vertx) {
    for (Class<? extends Record> type : Messages.ALL) {
      register(vertx, type);
    }
  }

  private static <R extends Record> void register(Vertx vertx, Class<R> type) {
    vertx.eventBus().registerDefaultCodec(type, new RecordCodec<>(type));
  }

  @Override
  public void encodeToWire(Buffer buffer, T value) {
    byte[] json = encode(value);
    buffer.appendInt(json.length).appendBytes(json);
  }

  @Override
  public T decodeFromWire(int pos, Buffer buffer) {
    int length = buffer.getInt(pos);
    return decode(buffer.getBytes(pos + 4, pos + 4 + length));
  }

  @Override
  public T transform(T value) {
    return value;
  }

  @Override
  public String name() {
    return "kasoku-record:" + type.getName();
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }

  byte[] encode(T value) {
    try {
      return Json.MAPPER.writeValueAsBytes(value);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode " + type.getSimpleName(), e);
    }
  }

  T decode(byte[] json) {
    try {
      return Json.MAPPER.readValue(json, type);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot decode " + type.getSimpleName(), e);
    }
  }
}
