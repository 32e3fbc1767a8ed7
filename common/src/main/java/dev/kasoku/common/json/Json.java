package dev.kasoku.common.json;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;

/**
 * The application's JSON mappers, configured once. Jackson mappers are thread-safe once configured,
 * so every class shares these instead of building its own.
 *
 * <ul>
 *   <li>{@link #MAPPER}, for data at rest and on the wire (the store and the event-bus codec): record
 *       components as fields, {@code Instant}s as ISO-8601 strings at full precision, unknown fields
 *       ignored on read so that a value written by a newer version can be read by an older one
 *       during a rolling upgrade.</li>
 *   <li>{@link #API}, for API answers: the same, except that every {@code Instant} is written in the
 *       API's one timestamp form ({@link Timestamps}).</li>
 * </ul>
 * Both read any ISO-8601 instant, so a value written by one can be read by the other.
 */
public final class Json {
  /** Store and bus encoding. */
  public static final ObjectMapper MAPPER = base();
  /** API answer encoding: instants as {@link Timestamps#format}. */
  public static final ObjectMapper API = base().registerModule(new SimpleModule("kasoku-api-time")
      .addSerializer(Instant.class, new ApiInstantSerializer()));

  private Json() {}

  private static ObjectMapper base() {
    return new ObjectMapper()
        .findAndRegisterModules()
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  }

  /** {@link #MAPPER}'s JSON text of a value. */
  public static String encode(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode " + value.getClass().getSimpleName(), e);
    }
  }

  /** Decodes {@link #MAPPER}'s (or {@link #API}'s) JSON text. */
  public static <T> T decode(String json, Class<T> type) {
    try {
      return MAPPER.readValue(json, type);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot decode " + type.getSimpleName(), e);
    }
  }

  private static final class ApiInstantSerializer extends StdSerializer<Instant> {
    ApiInstantSerializer() {
      super(Instant.class);
    }

    @Override
    public void serialize(Instant value, JsonGenerator gen, SerializerProvider provider) throws IOException {
      gen.writeString(Timestamps.format(value));
    }
  }
}
