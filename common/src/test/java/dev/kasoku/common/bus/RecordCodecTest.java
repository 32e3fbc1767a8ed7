package dev.kasoku.common.bus;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.bus.Messages.AuditEvent;
import dev.kasoku.common.bus.Messages.PurgeCommand;
import dev.kasoku.common.bus.Messages.PurgeScope;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
class RecordCodecTest {

  @Test
  void wireFormatRoundTripsEveryField() {
    RecordCodec<PurgeCommand> codec = new RecordCodec<>(PurgeCommand.class);
    PurgeCommand cmd = new PurgeCommand("p1", 42, "acme", PurgeScope.TAG, List.of("a", "b"), true,
        Instant.parse("2026-11-25T10:00:00.123Z"));
    Buffer wire = Buffer.buffer().appendString("prefix");
    codec.encodeToWire(wire, cmd);
    assertThat(codec.decodeFromWire(6, wire)).isEqualTo(cmd);
  }

  @Test
  void wireFormatIsLengthPrefixedJson() {
    RecordCodec<Messages.TenantDeleted> codec = new RecordCodec<>(Messages.TenantDeleted.class);
    Buffer wire = Buffer.buffer();
    codec.encodeToWire(wire, new Messages.TenantDeleted("acme"));
    int n = wire.getInt(0);
    assertThat(wire.length()).isEqualTo(4 + n);
    assertThat(wire.getString(4, 4 + n)).isEqualTo("{\"tenant\":\"acme\"}");
  }

  @Test
  void fieldsAddedByANewerVersionAreIgnoredOnDecode() {
    RecordCodec<Messages.PurgeAck> codec = new RecordCodec<>(Messages.PurgeAck.class);
    byte[] json = "{\"id\":\"p1\",\"node\":\"n1\",\"applied\":3,\"future\":true}".getBytes();
    Buffer wire = Buffer.buffer().appendInt(json.length).appendBytes(json);
    assertThat(codec.decodeFromWire(0, wire)).isEqualTo(new Messages.PurgeAck("p1", "n1", 3));
  }

  @Test
  void localDeliveryHandsOverTheSameImmutableInstance(Vertx vertx, VertxTestContext test) {
    RecordCodec.registerAll(vertx);
    AuditEvent event = new AuditEvent(Instant.now(), "u", "acme", "user.create", "bob", "127.0.0.1", "ok", "req-1");
    vertx.eventBus().<AuditEvent>consumer("test.audit", msg -> test.verify(() -> {
      assertThat(msg.body()).isSameAs(event);
      test.completeNow();
    })).completion().onSuccess(v -> vertx.eventBus().send("test.audit", event));
  }

  @Test
  void recordsCopyTheirCollectionsSoSendersCannotMutateThem() {
    java.util.ArrayList<String> targets = new java.util.ArrayList<>(List.of("/a"));
    PurgeCommand cmd = new PurgeCommand("p", 1, "t", PurgeScope.URL, targets, false, Instant.EPOCH);
    targets.add("/b");
    assertThat(cmd.targets()).containsExactly("/a");
  }
}
