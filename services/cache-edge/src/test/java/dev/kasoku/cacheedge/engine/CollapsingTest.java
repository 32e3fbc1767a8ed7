package dev.kasoku.cacheedge.engine;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** One request's part in collapsing: when it leads, waits, or goes to the origin on its own. */
class CollapsingTest {
  private final Collapser collapser = new Collapser();

  @Test
  void theFirstRequestLeadsTheNextWaitsOnItsFlightAndAnAbandonedFlightLetsANewOneLead() {
    Collapsing leader = looked(new Collapsing(collapser));
    Collapsing waiter = looked(new Collapsing(collapser));
    assertThat(leader.leadOrJoin("k")).as("the first to miss leads").isNull();
    Collapser.Flight joined = waiter.leadOrJoin("k");
    assertThat(joined).as("the second waits on the leader's flight").isNotNull();
    assertThat(leader.leadOrJoin("k")).as("a leader never waits on its own flight").isNull();

    leader.abandon();
    Collapsing next = looked(new Collapsing(collapser));
    assertThat(next.leadOrJoin("k")).as("the abandoned flight landed: a new request leads").isNull();
    assertThat(next.handOver()).as("handed to its fill").isNotNull().isNotSameAs(joined);
    assertThat(next.handOver()).as("only once").isNull();
  }

  @Test
  void aFlightThatLandedWithoutStoringSendsTheWaiterToTheOriginAndItNeverWaitsAgain() {
    Collapsing leader = looked(new Collapsing(collapser));
    Collapsing waiter = looked(new Collapsing(collapser));
    leader.leadOrJoin("k");
    waiter.leadOrJoin("k");
    assertThat(waiter.landed(Collapser.Outcome.FETCH_YOURSELF)).as("nothing to look up").isFalse();
    assertThat(waiter.collapsed()).as("it did wait on a flight that landed").isTrue();

    looked(waiter);
    assertThat(waiter.leadOrJoin("k")).as("goes to the origin itself, not behind the flight").isNull();
    assertThat(waiter.handOver()).as("and leads nothing: the key stays the leader's").isNull();
    assertThat(looked(new Collapsing(collapser)).leadOrJoin("k")).as("the leader's flight is still there")
        .isNotNull();
  }

  @Test
  void aStoredLandingIsLookedUpAgainAndAnElapsedWaitIsNotCountedAsCollapsed() {
    Collapsing a = new Collapsing(collapser);
    assertThat(a.landed(Collapser.Outcome.STORED)).isTrue();
    assertThat(a.collapsed()).isTrue();

    Collapsing b = new Collapsing(collapser);
    assertThat(b.landed(null)).as("the wait elapsed: to the origin").isFalse();
    assertThat(b.collapsed()).isFalse();
  }

  @Test
  void aRequestWaitsAtMostTwice() {
    Collapsing leader = looked(new Collapsing(collapser));
    leader.leadOrJoin("k");
    Collapsing waiter = new Collapsing(collapser);
    for (int lookup = 1; lookup <= 2; lookup++) {
      waiter.lookedUp();
      assertThat(waiter.leadOrJoin("k")).as("lookup %d", lookup).isNotNull();
      waiter.landed(Collapser.Outcome.STORED); // stored, yet gone again by its lookup (a purge, say)
    }
    waiter.lookedUp();
    assertThat(waiter.leadOrJoin("k")).as("third lookup: the origin, not a third wait").isNull();
  }

  private static Collapsing looked(Collapsing c) {
    c.lookedUp();
    return c;
  }
}
