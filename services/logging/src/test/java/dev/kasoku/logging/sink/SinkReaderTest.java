package dev.kasoku.logging.sink;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.bus.Messages.AccessLogRecord;
import dev.kasoku.common.testing.TempStores;
import dev.kasoku.logging.impl.AccessLogStore;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A sink's reader over real segment files: what it inflates, and that reusing it changes nothing read. */
class SinkReaderTest {
  private static final Instant T0 = Instant.parse("2026-12-01T10:15:00Z");
  private final Path root = TempStores.newDirectory();
  private final AccessLogStore store = new AccessLogStore(root);

  @AfterEach
  void cleanUp() throws Exception {
    store.close();
    TempStores.deleteRecursively(root);
  }

  private List<String> batch(String tenant, int from, int n) throws Exception {
    List<AccessLogRecord> records = new ArrayList<>();
    List<String> paths = new ArrayList<>();
    for (int i = from; i < from + n; i++) {
      records.add(new AccessLogRecord(T0.plusSeconds(i), tenant, "www", "www.example", "192.0.2.1", "GET", "/r" + i,
          "HTTP/1.1", 200, 1, "hit", 0, 1, "ua", null, "edge-1", "req-" + i));
      paths.add("/r" + i);
    }
    store.write(records, T0);
    return paths;
  }

  private static List<String> paths(SinkReader.Batch b) {
    return b.lines().stream().map(l -> new io.vertx.core.json.JsonObject(l).getString("path")).toList();
  }

  /** The count and the read of one round used to inflate every new block twice. */
  @Test
  void aRoundInflatesEachNewBlockOnceAndAReadAgainAfterARefusalStillGetsEveryLine() throws Exception {
    String tenant = "t" + dev.kasoku.common.model.Ids.random(8);
    LogSink sink = new LogSink("s1", "siem", LogSink.Type.http, "https://logs.example/in", null, Map.of(), false,
        List.of(), 1.0, LogSink.Filter.ALL, "1s", 10_000, null, null, null, null, "24h", 1L << 30,
        T0.minusSeconds(60));
    List<String> expected = new ArrayList<>();
    for (int b = 0; b < 3; b++) {
      expected.addAll(batch(tenant, b * 10, 10));
    }
    SinkReader reader = new SinkReader(root, tenant, sink);
    Instant now = T0.plusSeconds(120);
    reader.open(null, now);
    SinkReader.Batch first = reader.next(now);
    assertThat(paths(first)).containsExactlyElementsOf(expected);
    assertThat(reader.inflatedBlocks()).as("three blocks, each inflated once").isEqualTo(3);
    reader.commit(first);

    List<String> more = new ArrayList<>(batch(tenant, 30, 5));
    more.addAll(batch(tenant, 35, 5));
    SinkReader.Batch second = reader.next(now);
    assertThat(paths(second)).containsExactlyElementsOf(more);
    assertThat(reader.inflatedBlocks()).isEqualTo(5);
    // the receiver refused it: the next round reads the same blocks again, from the file
    SinkReader.Batch again = reader.next(now);
    assertThat(paths(again)).containsExactlyElementsOf(more);
    assertThat(reader.inflatedBlocks()).isEqualTo(7);
    reader.commit(again);
    assertThat(reader.next(now).lines()).isEmpty();
  }
}
