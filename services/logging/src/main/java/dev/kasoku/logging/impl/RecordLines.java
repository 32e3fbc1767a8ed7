package dev.kasoku.logging.impl;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.SerializedString;
import dev.kasoku.common.bus.Messages.AccessLogRecord;
import dev.kasoku.common.json.Json;
import dev.kasoku.common.json.Timestamps;
import java.io.IOException;
import java.io.CharArrayWriter;
import java.io.UncheckedIOException;

/**
 * The NDJSON lines of one segment block, written field by field with Jackson's streaming generator.
 *
 * <p>A stored line is exactly what {@code Json.API.writeValueAsString(record)} gives (then {@code '\n'}):
 * the record's components in declaration order, nulls written as {@code null}, {@code ts} in the
 * API's timestamp form, strings escaped by Jackson's own generator over a {@code Writer} (the same
 * one the mapper uses, so control characters, quotes, non-ASCII text and even unpaired surrogates
 * come out the same, the last turned into {@code '?'} by the one UTF-8 conversion of the block).
 * Readers decode lines with the mapper, so the format is the mapper's; this class only skips its
 * per-record bean introspection, property writers and String of each record, which took about 45% of
 * the logging writer thread's CPU on the pass-through benchmark. {@code RecordLinesTest} compares
 * the two byte for byte; a component added to {@link AccessLogRecord} must be added here, in its
 * place, and that test fails until it is.
 *
 * <p>Not thread-safe: one instance collects the lines of one block on the writer thread.
 */
final class RecordLines {
  private static final SerializableString TS = new SerializedString("ts");
  private static final SerializableString TENANT = new SerializedString("tenant");
  private static final SerializableString SITE = new SerializedString("site");
  private static final SerializableString HOST = new SerializedString("host");
  private static final SerializableString CLIENT_IP = new SerializedString("clientIp");
  private static final SerializableString METHOD = new SerializedString("method");
  private static final SerializableString PATH = new SerializedString("path");
  private static final SerializableString PROTOCOL = new SerializedString("protocol");
  private static final SerializableString STATUS = new SerializedString("status");
  private static final SerializableString BYTES = new SerializedString("bytes");
  private static final SerializableString BYTES_IN = new SerializedString("bytesIn");
  private static final SerializableString CONTENT_TYPE = new SerializedString("contentType");
  private static final SerializableString TLS_VERSION = new SerializedString("tlsVersion");
  private static final SerializableString RANGE = new SerializedString("range");
  private static final SerializableString CACHE_STATUS = new SerializedString("cacheStatus");
  private static final SerializableString ORIGIN_MS = new SerializedString("originMs");
  private static final SerializableString TOTAL_MS = new SerializedString("totalMs");
  private static final SerializableString USER_AGENT = new SerializedString("userAgent");
  private static final SerializableString REFERER = new SerializedString("referer");
  private static final SerializableString NODE = new SerializedString("node");
  private static final SerializableString REQUEST_ID = new SerializedString("requestId");

  /**
   * Not a {@code StringWriter}: its {@code StringBuffer} narrows every char the generator flushes
   * into it one at a time (a scalar loop: about a fifth of all execution samples in a profile of pass-through);
   * a char array is copied in bulk and narrowed once, vectorised, by {@code new String}.
   */
  private final CharArrayWriter text;
  private final JsonGenerator gen;

  RecordLines(int expectedChars) {
    text = new CharArrayWriter(expectedChars);
    try {
      gen = Json.API.getFactory().createGenerator(text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    gen.setRootValueSeparator(null); // lines are separated by '\n', written below
  }

  /** Adds one record's line, '\n' included. */
  void add(AccessLogRecord r) throws IOException {
    JsonGenerator g = gen;
    g.writeStartObject();
    g.writeFieldName(TS);
    if (r.ts() == null) {
      g.writeNull();
    } else {
      g.writeString(Timestamps.format(r.ts()));
    }
    string(g, TENANT, r.tenant());
    string(g, SITE, r.site());
    string(g, HOST, r.host());
    string(g, CLIENT_IP, r.clientIp());
    string(g, METHOD, r.method());
    string(g, PATH, r.path());
    string(g, PROTOCOL, r.protocol());
    g.writeFieldName(STATUS);
    g.writeNumber(r.status());
    g.writeFieldName(BYTES);
    g.writeNumber(r.bytes());
    g.writeFieldName(BYTES_IN);
    g.writeNumber(r.bytesIn());
    string(g, CONTENT_TYPE, r.contentType());
    string(g, TLS_VERSION, r.tlsVersion());
    string(g, RANGE, r.range());
    string(g, CACHE_STATUS, r.cacheStatus());
    g.writeFieldName(ORIGIN_MS);
    g.writeNumber(r.originMs());
    g.writeFieldName(TOTAL_MS);
    g.writeNumber(r.totalMs());
    string(g, USER_AGENT, r.userAgent());
    string(g, REFERER, r.referer());
    string(g, NODE, r.node());
    string(g, REQUEST_ID, r.requestId());
    g.writeEndObject();
    g.writeRaw('\n');
  }

  private static void string(JsonGenerator g, SerializableString name, String value) throws IOException {
    g.writeFieldName(name);
    g.writeString(value); // null is written as null
  }

  /** The lines added so far. */
  String text() throws IOException {
    gen.flush();
    return text.toString();
  }
}
