package dev.kasoku.logging.impl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.bus.Messages.AccessLogRecord;
import dev.kasoku.common.json.Json;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The stored form of an access-log record: {@link RecordLines} writes, byte for byte, the line the
 * mapper writes ({@code Json.API.writeValueAsString} and '\n', one UTF-8 conversion per block), which
 * is what stored logs held before it and what readers decode.
 */
class RecordLinesTest {
  private static final Instant TS = Instant.parse("2026-12-03T06:21:09.123456789Z");

  private static AccessLogRecord full(String s) {
    return new AccessLogRecord(TS, "tenant1", "site-" + s, "host" + s, "2001:db8::1", "GET", "/p/" + s, "HTTP/2",
        206, 12_345_678_901L, 42, "text/html; charset=\"utf-8\"" + s, "TLSv1.3", "bytes=0-99", "pass",
        Long.MAX_VALUE, -1, "Mozilla/5.0 " + s, "https://ref.example/" + s, "edge-1", "req-" + s);
  }

  private static AccessLogRecord sparse() {
    return new AccessLogRecord(TS, "tenant1", null, null, null, null, null, null, 0, 0, 0, null, null, null,
        null, 0, 0, null, null, null, null);
  }

  /** What the store wrote before: the mapper's text of each record, '\n' after each, as UTF-8. */
  private static byte[] mapperBytes(List<AccessLogRecord> records) throws Exception {
    StringBuilder out = new StringBuilder();
    for (AccessLogRecord r : records) {
      out.append(Json.API.writeValueAsString(r)).append('\n');
    }
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] linesBytes(List<AccessLogRecord> records) throws Exception {
    RecordLines lines = new RecordLines();
    for (AccessLogRecord r : records) {
      lines.add(r);
    }
    return java.util.Arrays.copyOf(lines.array(), lines.length());
  }

  private static void assertSameBytes(List<AccessLogRecord> records) throws Exception {
    byte[] expected = mapperBytes(records);
    assertThat(new String(linesBytes(records), StandardCharsets.UTF_8))
        .isEqualTo(new String(expected, StandardCharsets.UTF_8));
    assertThat(linesBytes(records)).isEqualTo(expected);
  }

  @Test
  void everyOptionalFieldPresentIsWrittenAsTheMapperWritesIt() throws Exception {
    assertSameBytes(List.of(full("a")));
  }

  @Test
  void everyOptionalFieldAbsentIsWrittenAsNullAsTheMapperWritesIt() throws Exception {
    assertSameBytes(List.of(sparse()));
  }

  /** Each field on its own null, the others present: a field written out of its place shows here. */
  @Test
  void eachFieldAbsentAloneIsWrittenAsTheMapperWritesIt() throws Exception {
    RecordComponent[] components = AccessLogRecord.class.getRecordComponents();
    List<AccessLogRecord> records = new ArrayList<>();
    AccessLogRecord base = full("x");
    for (int i = 0; i < components.length; i++) {
      Object[] args = new Object[components.length];
      Class<?>[] types = new Class<?>[components.length];
      for (int j = 0; j < components.length; j++) {
        types[j] = components[j].getType();
        args[j] = components[j].getAccessor().invoke(base);
      }
      if (!types[i].isPrimitive()) {
        args[i] = null;
      }
      records.add(AccessLogRecord.class.getDeclaredConstructor(types).newInstance(args));
    }
    assertSameBytes(records);
  }

  @Test
  void unicodeControlCharactersQuotesAndBackslashesAreEscapedAsTheMapperEscapesThem() throws Exception {
    StringBuilder every = new StringBuilder();
    for (char c = 0; c < 0x80; c++) {
      every.append(c);
    }
    assertSameBytes(List.of(
        full(every.toString()),
        full("\"quoted\" \\back\\slash\\ / solidus \u007f \u0080 \u00ff \u2028 \u2029"),
        full("déjà vu – 東京 – \uD83D\uDE00 emoji – \uFEFF bom"),
        full("\t\n\r\b\f\u0000\u0001\u001f"),
        full("</script><!-- & ' >"),
        full("lone \uD83D high and \uDE00 low surrogates"),
        full("é".repeat(5000)))); // longer than the generator's buffer
  }

  @Test
  void aTimestampIsWrittenInTheApiFormTruncatedToTheMillisecond() throws Exception {
    List<AccessLogRecord> records = new ArrayList<>();
    for (Instant ts : List.of(Instant.EPOCH, Instant.parse("1969-12-31T23:59:59.999999Z"),
        Instant.parse("2026-12-03T00:00:00Z"), Instant.parse("9999-12-31T23:59:59.999Z"),
        Instant.parse("+10000-01-01T00:00:00Z"), Instant.parse("-0001-01-01T00:00:00.5Z"))) {
      AccessLogRecord f = full("t");
      records.add(new AccessLogRecord(ts, f.tenant(), f.site(), f.host(), f.clientIp(), f.method(), f.path(),
          f.protocol(), f.status(), f.bytes(), f.bytesIn(), f.contentType(), f.tlsVersion(), f.range(),
          f.cacheStatus(), f.originMs(), f.totalMs(), f.userAgent(), f.referer(), f.node(), f.requestId()));
    }
    assertSameBytes(records);
  }

  @Test
  void manyRecordsInOneBlockAreTheMappersLinesInOrder() throws Exception {
    List<AccessLogRecord> records = new ArrayList<>();
    for (int i = 0; i < 2_000; i++) {
      records.add(i % 3 == 0 ? sparse() : full(Integer.toString(i)));
    }
    assertSameBytes(records);
  }

  /** Random text from every class of character JSON treats apart, at random places in every string field. */
  @Test
  void randomTextIsWrittenAsTheMapperWritesIt() throws Exception {
    String[] pieces = {"a", "Z", "0", " ", "~", "\u007f", "\"", "\\", "/", "\u0000", "\n", "\t", "\u001f", "\u0080",
        "\u00e9", "\u2028", "\u6771", "\uFEFF", "\uD83D\uDE00", "\uD83D", "\uDE00", "\uFFFF"};
    Random random = new Random(20261203L);
    List<AccessLogRecord> records = new ArrayList<>();
    for (int i = 0; i < 5_000; i++) {
      StringBuilder s = new StringBuilder();
      // mostly printable ASCII, as real records are, so both ways through the writer alternate within a block
      int n = random.nextInt(40);
      for (int j = 0; j < n; j++) {
        s.append(random.nextInt(4) == 0 ? pieces[random.nextInt(pieces.length)] : pieces[random.nextInt(5)]);
      }
      records.add(i % 7 == 0 ? sparse() : full(s.toString()));
    }
    assertSameBytes(records);
  }

  @Test
  void numbersAtTheEdgesOfTheirRangesAreWrittenAsTheMapperWritesThem() throws Exception {
    List<AccessLogRecord> records = new ArrayList<>();
    long[] values = {0, 1, -1, 9, 10, 99, 100, 999_999_999, 1_000_000_000, Integer.MAX_VALUE, Integer.MIN_VALUE,
        Long.MAX_VALUE, Long.MIN_VALUE, Long.MIN_VALUE + 1};
    for (long v : values) {
      AccessLogRecord f = full("n");
      records.add(new AccessLogRecord(f.ts(), f.tenant(), f.site(), f.host(), f.clientIp(), f.method(), f.path(),
          f.protocol(), (int) v, v, v, f.contentType(), f.tlsVersion(), f.range(), f.cacheStatus(), v, v,
          f.userAgent(), f.referer(), f.node(), f.requestId()));
    }
    assertSameBytes(records);
  }

  @Test
  void aStoredLineDecodesToTheSameRecord() throws Exception {
    AccessLogRecord r = full("round trip \u0001 \"x\"");
    String line = new String(linesBytes(List.of(r)), StandardCharsets.UTF_8);
    assertThat(line).endsWith("\n");
    AccessLogRecord back = Json.decode(line.substring(0, line.length() - 1), AccessLogRecord.class);
    assertThat(back.ts()).isEqualTo(Instant.parse("2026-12-03T06:21:09.123Z"));
    assertThat(back.userAgent()).isEqualTo(r.userAgent());
    assertThat(back.bytes()).isEqualTo(r.bytes());
  }
}
