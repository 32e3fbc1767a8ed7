package dev.kasoku.logging.impl;

import dev.kasoku.common.bus.Messages.AccessLogRecord;
import dev.kasoku.common.json.Json;
import dev.kasoku.common.json.Timestamps;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;

/**
 * The NDJSON lines of one segment block, written as UTF-8 bytes field by field.
 *
 * <p>A stored line is exactly what {@code Json.API.writeValueAsString(record)} gives, then
 * {@code '\n'}, as UTF-8: the record's components in declaration order, nulls written as
 * {@code null}, {@code ts} in the API's timestamp form. Readers decode lines with the mapper, so the
 * format is the mapper's; {@code RecordLinesTest} compares the two byte for byte (random text
 * included), and a component added to {@link AccessLogRecord} must be added here, in its place, and
 * that test fails until it is.
 *
 * <p>Almost every value of an access-log record is printable ASCII, which JSON writes as it is: such
 * a string is copied byte for byte. Any other string (a control character, a quote or backslash, any
 * non-ASCII text, an unpaired surrogate) is escaped by the mapper itself and converted to UTF-8 the
 * way the mapper's text always was ({@code String.getBytes}: an unpaired surrogate becomes
 * {@code '?'}), so there is one definition of the escaping. Timestamps of one second share their
 * first 20 characters, which are formatted once per second. Before this, a Jackson generator over a
 * {@code Writer} and one UTF-8 conversion per block took about a third of the process's CPU while
 * the edge forwarded uncacheable requests (its per-character escape scan alone, half of that).
 *
 * <p>Not thread-safe: the store's writer thread fills one instance with the lines of one file at a
 * time and reuses it (a fresh buffer per commit, grown by copying, cost more than the encoding).
 */
final class RecordLines {
  private static final byte[] TS = ascii("{\"ts\":");
  private static final byte[] TENANT = ascii(",\"tenant\":");
  private static final byte[] SITE = ascii(",\"site\":");
  private static final byte[] HOST = ascii(",\"host\":");
  private static final byte[] CLIENT_IP = ascii(",\"clientIp\":");
  private static final byte[] METHOD = ascii(",\"method\":");
  private static final byte[] PATH = ascii(",\"path\":");
  private static final byte[] PROTOCOL = ascii(",\"protocol\":");
  private static final byte[] STATUS = ascii(",\"status\":");
  private static final byte[] BYTES = ascii(",\"bytes\":");
  private static final byte[] BYTES_IN = ascii(",\"bytesIn\":");
  private static final byte[] CONTENT_TYPE = ascii(",\"contentType\":");
  private static final byte[] TLS_VERSION = ascii(",\"tlsVersion\":");
  private static final byte[] RANGE = ascii(",\"range\":");
  private static final byte[] CACHE_STATUS = ascii(",\"cacheStatus\":");
  private static final byte[] ORIGIN_MS = ascii(",\"originMs\":");
  private static final byte[] TOTAL_MS = ascii(",\"totalMs\":");
  private static final byte[] USER_AGENT = ascii(",\"userAgent\":");
  private static final byte[] REFERER = ascii(",\"referer\":");
  private static final byte[] NODE = ascii(",\"node\":");
  private static final byte[] REQUEST_ID = ascii(",\"requestId\":");
  private static final byte[] NULL = ascii("null");
  private static final byte[] END = ascii("}\n");

  /** Epoch seconds of 0000-01-01T00:00:00Z and 10000-01-01T00:00:00Z: the years written with four digits. */
  private static final long FIRST_FOUR_DIGIT_SECOND = -62_167_219_200L;
  private static final long FIRST_FIVE_DIGIT_SECOND = 253_402_300_800L;

  private byte[] buf;
  private int len;
  /** {@code "uuuu-MM-ddTHH:mm:ss.} of {@link #second}: the part of a timestamp that repeats. */
  private final byte[] secondText = new byte[21];
  private long second = Long.MIN_VALUE;
  /** Per {@link #repeated} field, its last value and the JSON text written for it. */
  private final String[] lastValue = new String[10];
  private final byte[][] lastText = new byte[10][];

  /** A buffer kept between uses up to this size; a larger one (a rare huge commit) is dropped. */
  private static final int KEEP_BYTES = 8 << 20;
  private static final int INITIAL_BYTES = 64 << 10;

  RecordLines() {
    buf = new byte[INITIAL_BYTES];
  }

  /** Forgets the lines added so far. */
  void reset() {
    len = 0;
  }

  /** Gives a buffer grown past {@link #KEEP_BYTES} back to the heap; the lines are forgotten. */
  void trim() {
    len = 0;
    if (buf.length > KEEP_BYTES) {
      buf = new byte[INITIAL_BYTES];
    }
  }

  /** Adds one record's line, '\n' included. */
  void add(AccessLogRecord r) throws IOException {
    raw(TS);
    timestamp(r.ts());
    repeated(TENANT, 0, r.tenant());
    repeated(SITE, 1, r.site());
    repeated(HOST, 2, r.host());
    repeated(CLIENT_IP, 3, r.clientIp());
    repeated(METHOD, 4, r.method());
    string(PATH, r.path());
    repeated(PROTOCOL, 5, r.protocol());
    number(STATUS, r.status());
    number(BYTES, r.bytes());
    number(BYTES_IN, r.bytesIn());
    repeated(CONTENT_TYPE, 6, r.contentType());
    repeated(TLS_VERSION, 7, r.tlsVersion());
    string(RANGE, r.range());
    repeated(CACHE_STATUS, 8, r.cacheStatus());
    number(ORIGIN_MS, r.originMs());
    number(TOTAL_MS, r.totalMs());
    string(USER_AGENT, r.userAgent());
    string(REFERER, r.referer());
    repeated(NODE, 9, r.node());
    string(REQUEST_ID, r.requestId());
    raw(END);
  }

  /** The buffer holding the lines added so far, as UTF-8, in its first {@link #length} bytes. */
  byte[] array() {
    return buf;
  }

  int length() {
    return len;
  }

  /**
   * A field whose value mostly repeats from one record to the next (the tenant, the node, the
   * method...): the text written last for it is kept, and a value that is the same String, or an
   * equal one, is copied from there. The writer thread reads records the edge's event loops
   * allocated a moment before, so a String it need not read at all is a cache miss saved too.
   */
  private void repeated(byte[] name, int slot, String value) throws IOException {
    String last = lastValue[slot];
    if (value != null && (value == last || value.equals(last))) {
      raw(name);
      raw(lastText[slot]);
      return;
    }
    int from = len + name.length;
    string(name, value);
    if (value != null) {
      lastValue[slot] = value;
      lastText[slot] = Arrays.copyOfRange(buf, from, len);
    }
  }

  private void string(byte[] name, String value) throws IOException {
    raw(name);
    if (value == null) {
      raw(NULL);
      return;
    }
    int n = value.length();
    ensure(n + 2);
    byte[] b = buf;
    int at = len;
    b[at++] = '"';
    for (int i = 0; i < n; i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
        escaped(value);
        return;
      }
      b[at++] = (byte) c;
    }
    b[at++] = '"';
    len = at;
  }

  /** A string JSON does not take as it is: the mapper's own escaping and UTF-8 text of it. */
  private void escaped(String value) throws IOException {
    raw(Json.API.writeValueAsString(value).getBytes(StandardCharsets.UTF_8));
  }

  private void number(byte[] name, long v) {
    raw(name);
    if (v == Long.MIN_VALUE) {
      raw(ascii(Long.toString(v)));
      return;
    }
    ensure(20);
    if (v < 0) {
      buf[len++] = '-';
      v = -v;
    }
    int digits = 1;
    for (long rest = v / 10; rest != 0; rest /= 10) {
      digits++;
    }
    int at = len + digits;
    len = at;
    do {
      buf[--at] = (byte) ('0' + (int) (v % 10));
      v /= 10;
    } while (v != 0);
  }

  private void timestamp(Instant ts) {
    if (ts == null) {
      raw(NULL);
      return;
    }
    long s = ts.getEpochSecond();
    if (s < FIRST_FOUR_DIGIT_SECOND || s >= FIRST_FIVE_DIGIT_SECOND) {
      // a signed or five-digit year: rare enough for the general formatter
      raw(ascii('"' + Timestamps.format(ts) + '"'));
      return;
    }
    if (s != second) {
      LocalDateTime t = LocalDateTime.ofEpochSecond(s, 0, ZoneOffset.UTC);
      byte[] p = secondText;
      p[0] = '"';
      digits(p, 1, t.getYear(), 4);
      p[5] = '-';
      digits(p, 6, t.getMonthValue(), 2);
      p[8] = '-';
      digits(p, 9, t.getDayOfMonth(), 2);
      p[11] = 'T';
      digits(p, 12, t.getHour(), 2);
      p[14] = ':';
      digits(p, 15, t.getMinute(), 2);
      p[17] = ':';
      digits(p, 18, t.getSecond(), 2);
      p[20] = '.';
      second = s;
    }
    raw(secondText);
    ensure(5);
    digits(buf, len, ts.getNano() / 1_000_000, 3); // truncated, never rounded up
    buf[len + 3] = 'Z';
    buf[len + 4] = '"';
    len += 5;
  }

  /** {@code v} as exactly {@code n} decimal digits (zero-padded) at {@code at}. */
  private static void digits(byte[] into, int at, int v, int n) {
    for (int i = at + n - 1; i >= at; i--) {
      into[i] = (byte) ('0' + v % 10);
      v /= 10;
    }
  }

  private void raw(byte[] bytes) {
    ensure(bytes.length);
    System.arraycopy(bytes, 0, buf, len, bytes.length);
    len += bytes.length;
  }

  private void ensure(int more) {
    if (buf.length - len < more) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
    }
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
