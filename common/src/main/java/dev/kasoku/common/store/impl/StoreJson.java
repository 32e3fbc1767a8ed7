package dev.kasoku.common.store.impl;

import dev.kasoku.common.bus.RecordCodec;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * How both store implementations write records: the same JSON as the bus codec
 * ({@link RecordCodec#MAPPER}: record components as fields, {@code Instant}s as ISO-8601, unknown
 * fields ignored), so a value written by one version can be read by the next.
 */
public final class StoreJson {
  private StoreJson() {}

  public static String encode(Object value) {
    try {
      return RecordCodec.MAPPER.writeValueAsString(value);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode " + value.getClass().getSimpleName(), e);
    }
  }

  public static <T> T decode(String json, Class<T> type) {
    try {
      return RecordCodec.MAPPER.readValue(json, type);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot decode " + type.getSimpleName() + " from the store", e);
    }
  }
}
