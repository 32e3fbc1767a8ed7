package dev.kasoku.logging.impl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.bus.Messages.AccessLogRecord;
import dev.kasoku.common.model.Ids;
import dev.kasoku.common.testing.TempStores;
import dev.kasoku.logging.segment.SegmentFile;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Where a batch's records are stored: each in the segment of its own tenant and hour. */
class AccessLogStoreTest {
  private static final Instant T0 = Instant.parse("2026-12-01T10:59:58Z");
  private final Path root = TempStores.newDirectory();
  private final AccessLogStore store = new AccessLogStore(root);

  @AfterEach
  void cleanUp() throws Exception {
    store.close();
    TempStores.deleteRecursively(root);
  }

  private static AccessLogRecord record(String tenant, Instant ts, String path) {
    return new AccessLogRecord(ts, tenant, "www", "www.example", "192.0.2.1", "GET", path, "HTTP/1.1", 200, 1,
        "miss", 0, 1, "ua", null, "edge-1", "req" + path);
  }

  private List<String> paths(String tenant, Instant hour) throws Exception {
    List<String> out = new ArrayList<>();
    SegmentFile.read(store.file(tenant, hour), data -> {
      for (String line : new String(data, StandardCharsets.UTF_8).split("\n")) {
        out.add(new JsonObject(line).getString("path"));
      }
    });
    return out;
  }

  /**
   * One batch interleaving two tenants across an hour boundary: runs of records of the same tenant
   * and hour share a file, and every change of tenant or hour, back and forth, lands in the right one.
   */
  @Test
  void aBatchInterleavingTenantsAndHoursStoresEachRecordInItsTenantsSegmentOfItsHour() throws Exception {
    String a = "a" + Ids.random(8);
    String b = "b" + Ids.random(8);
    Instant ten = T0;
    Instant eleven = T0.plusSeconds(4); // 11:00:02
    int stored = store.write(List.of(
        record(a, ten, "/a10-1"),
        record(a, ten.plusSeconds(1), "/a10-2"),
        record(b, ten, "/b10-1"),
        record(a, eleven, "/a11-1"),
        record(a, ten, "/a10-3"),
        record(null, ten, "/none"),
        record(b, eleven, "/b11-1"),
        record("Bad:Id", ten, "/bad"),
        record(b, ten, "/b10-2")), T0);

    assertThat(stored).isEqualTo(7);
    assertThat(paths(a, ten)).containsExactly("/a10-1", "/a10-2", "/a10-3");
    assertThat(paths(a, eleven)).containsExactly("/a11-1");
    assertThat(paths(b, ten)).containsExactly("/b10-1", "/b10-2");
    assertThat(paths(b, eleven)).containsExactly("/b11-1");
  }
}
