package dev.kasoku.common.model;

import dev.kasoku.common.bus.Messages.PurgeScope;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A purge in the durable purge log. {@code seq} is assigned by the log on append: strictly
 * increasing, so an edge that remembers the last seq it applied can resume from there.
 */
public record PurgeRecord(long seq, String id, String tenant, PurgeScope scope, List<String> targets,
                          boolean soft, String actor, Instant createdAt) {
  public PurgeRecord {
    Objects.requireNonNull(id, "id");
    Ids.requireValid(tenant);
    Objects.requireNonNull(scope, "scope");
    targets = List.copyOf(targets);
    Objects.requireNonNull(createdAt, "createdAt");
  }

  public PurgeRecord withSeq(long newSeq) {
    return new PurgeRecord(newSeq, id, tenant, scope, targets, soft, actor, createdAt);
  }
}
