package dev.kasoku.cacheedge.purge;

import static dev.kasoku.cacheedge.purge.TestObjects.lookup;
import static dev.kasoku.cacheedge.purge.TestObjects.object;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.cacheedge.storage.MemoryStorage;
import dev.kasoku.cacheedge.storage.Selection;
import dev.kasoku.cacheedge.storage.StoredObject;
import dev.kasoku.common.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The "no resurrection" rule, at the storage boundary, with a fixed clock. */
class PurgeGuardTest {
  private static final long T0 = 1_700_000_000_000L;
  private final MutableClock clock = new MutableClock(Instant.ofEpochMilli(T0));
  private final PurgeGuard guard = new PurgeGuard(clock, Duration.ofMinutes(10));
  private final MemoryStorage memory = new MemoryStorage(64L << 20, 1 << 20, 8);
  private final GuardedStorage storage = new GuardedStorage(memory, guard);

  @AfterEach
  void close() {
    storage.close();
  }

  @Test
  void fetchStartedBeforeAMatchingHardPurgeIsNotStored() {
    StoredObject fetched = object(storage, "t1", "a.example", "/x", List.of(), "", T0 - 50);
    clock.set(Instant.ofEpochMilli(T0));
    guard.applied(List.of(new Selection.Key("t1", TestObjects.key("t1", "a.example", "/x"))), false);
    clock.set(Instant.ofEpochMilli(T0 + 100));
    storage.put(fetched);

    assertThat(lookup(storage, "t1", "a.example", "/x", "")).isNull();
    assertThat(fetched.body().isFreed()).as("its memory went back to the pool").isTrue();
  }

  @Test
  void fetchStartedBeforeAMatchingSoftPurgeIsStoredStale() {
    StoredObject fetched = object(storage, "t1", "a.example", "/x", List.of("t"), "", T0 - 50);
    guard.applied(List.of(new Selection.Tag("t1", "t")), true);
    storage.put(fetched);

    StoredObject stored = lookup(storage, "t1", "a.example", "/x", "");
    assertThat(stored).isNotNull();
    assertThat(stored.forcedStale()).as("stored, but never as fresh").isTrue();
  }

  @Test
  void fetchStartedAfterThePurgeIsStoredFresh() {
    guard.applied(List.of(new Selection.Tag("t1", "product-1")), false);
    clock.set(Instant.ofEpochMilli(T0 + 10));
    storage.put(object(storage, "t1", "a.example", "/x", List.of("product-1"), "", T0 + 5));
    assertThat(lookup(storage, "t1", "a.example", "/x", "").forcedStale()).isFalse();
  }

  @Test
  void purgeOfAnotherTenantOrAnotherObjectDoesNotAffectTheFetch() {
    guard.applied(List.of(new Selection.Tenant("t2")), false);
    guard.applied(List.of(new Selection.Prefix("t1", "a.example", "/static/")), true);
    guard.applied(List.of(new Selection.Host("t1", "b.example")), false);
    storage.put(object(storage, "t1", "a.example", "/x", List.of(), "", T0 - 100));
    assertThat(lookup(storage, "t1", "a.example", "/x", "").forcedStale()).isFalse();

    storage.put(object(storage, "t1", "a.example", "/static/app.js", List.of(), "", T0 - 100));
    assertThat(lookup(storage, "t1", "a.example", "/static/app.js", "").forcedStale()).isTrue();
  }

  @Test
  void fetchOlderThanTheRetentionIsTreatedAsHardPurged() {
    StoredObject ancient = object(storage, "t1", "a.example", "/x", List.of(), "", T0 - 1);
    guard.applied(List.of(new Selection.Tenant("t9")), false);
    clock.set(Instant.ofEpochMilli(T0 + Duration.ofMinutes(11).toMillis()));
    guard.applied(List.of(new Selection.Tenant("t9")), false);
    storage.put(ancient);
    assertThat(lookup(storage, "t1", "a.example", "/x", "")).isNull();
  }

  // ---------------------------------------------------------------- copies another edge answers with

  @Test
  void anotherEdgesCopyFetchedBeforeAMatchingPurgeAppliedHereIsDroppedOrStale() {
    String key = TestObjects.key("t1", "a.example", "/x?v=1");
    clock.set(Instant.ofEpochMilli(T0));
    guard.applied(List.of(new Selection.Prefix("t1", "a.example", "/x")), false);
    guard.applied(List.of(new Selection.Tag("t1", "soft-tag")), true);
    long window = T0 - 60_000;
    assertThat(guard.checkCopy(new Selection.Copy("t1", key, "a.example", "/x?v=1", List.of()), T0 - 1, window))
        .as("prefix purge, copy fetched before it").isEqualTo(PurgeGuard.Verdict.DROP);
    assertThat(guard.checkCopy(new Selection.Copy("t1", key, "b.example", "/x?v=1", List.of("soft-tag")), T0 - 1, window))
        .as("only the soft tag purge matches").isEqualTo(PurgeGuard.Verdict.STALE);
    assertThat(guard.checkCopy(new Selection.Copy("t1", key, "a.example", "/x?v=1", List.of()), T0 + 1, window))
        .as("fetched after the purges").isEqualTo(PurgeGuard.Verdict.KEEP);
    assertThat(guard.checkCopy(new Selection.Copy("t2", key, "a.example", "/x?v=1", List.of("soft-tag")), T0 - 1, window))
        .as("another tenant's purges never match").isEqualTo(PurgeGuard.Verdict.KEEP);
    assertThat(guard.checkCopy(new Selection.Copy("t1", key, "a.example", "/y", List.of()), T0 - 1, window))
        .as("outside the prefix").isEqualTo(PurgeGuard.Verdict.KEEP);
  }

  @Test
  void purgesBeforeTheWindowAreTakenAsAppliedByTheOtherEdge() {
    String key = TestObjects.key("t1", "a.example", "/x");
    clock.set(Instant.ofEpochMilli(T0));
    guard.applied(List.of(new Selection.Key("t1", key)), false);
    assertThat(guard.checkCopy(new Selection.Copy("t1", key, "a.example", "/x", List.of()), T0 - 5_000, T0 - 60_000))
        .isEqualTo(PurgeGuard.Verdict.DROP);
    assertThat(guard.checkCopy(new Selection.Copy("t1", key, "a.example", "/x", List.of()), T0 - 5_000, T0 + 1))
        .as("the purge is older than the window").isEqualTo(PurgeGuard.Verdict.KEEP);
  }

  @Test
  void aPurgeOfEverythingMatchesEveryCopy() {
    clock.set(Instant.ofEpochMilli(T0));
    guard.appliedToEverything();
    assertThat(guard.checkCopy(new Selection.Copy("t9", "k", "h.example", "/", List.of()), T0, T0 - 60_000))
        .isEqualTo(PurgeGuard.Verdict.DROP);
  }
}
