package dev.kasoku.cacheedge.policy;

import static dev.kasoku.cacheedge.policy.TestSites.T0;
import static dev.kasoku.cacheedge.policy.TestSites.date;
import static dev.kasoku.cacheedge.policy.TestSites.headers;
import static dev.kasoku.cacheedge.policy.TestSites.site;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.MultiMap;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Age calculation, RFC 9111 §4.2.3. */
class AgeCalculationTest {

  private static Freshness at(MultiMap h, Instant requestTime, Instant responseTime) {
    CompiledSite s = site();
    return Freshness.compute(200, h, TargetedControls.select(h), s, s.ruleFor("/"), requestTime,
        responseTime);
  }

  @Test
  void ageIsZeroForAResponseReceivedNowWithoutDelay() {
    Freshness f = at(headers("Date", date(T0)), T0, T0);
    assertThat(f.ageSeconds(T0)).isZero();
  }

  /** resident_time = now - response_time. */
  @Test
  void residentTimeAddsToTheAge() {
    Freshness f = at(headers("Date", date(T0)), T0, T0);
    assertThat(f.ageSeconds(T0.plusSeconds(42))).isEqualTo(42);
  }

  /** apparent_age = max(0, response_time - date_value). */
  @Test
  void apparentAgeFromAnOldDateCounts() {
    Freshness f = at(headers("Date", date(T0.minusSeconds(30))), T0, T0);
    assertThat(f.ageSeconds(T0)).isEqualTo(30);
  }

  /** apparent_age is never negative: a Date in the future (clock skew) does not make age negative. */
  @Test
  void dateInTheFutureGivesNoNegativeAge() {
    Freshness f = at(headers("Date", date(T0.plusSeconds(300))), T0, T0);
    assertThat(f.ageSeconds(T0)).isZero();
  }

  /** corrected_age_value = age_value + response_delay. */
  @Test
  void originAgeHeaderPlusResponseDelayCounts() {
    Freshness f = at(headers("Date", date(T0.plusSeconds(2)), "Age", "10"), T0, T0.plusSeconds(2));
    assertThat(f.ageSeconds(T0.plusSeconds(2))).isEqualTo(12);
  }

  /** corrected_initial_age = max(apparent_age, corrected_age_value). */
  @Test
  void correctedInitialAgeIsTheLargerEstimate() {
    Freshness f = at(headers("Date", date(T0.minusSeconds(100)), "Age", "10"), T0, T0);
    assertThat(f.ageSeconds(T0)).isEqualTo(100);
  }

  @Test
  void responseDelayAloneCountsAsAge() {
    Freshness f = at(headers("Date", date(T0.plusSeconds(5))), T0, T0.plusSeconds(5));
    assertThat(f.ageSeconds(T0.plusSeconds(5))).isEqualTo(5);
  }

  @Test
  void missingDateUsesTheResponseTime() {
    Freshness f = at(headers(), T0, T0);
    assertThat(f.ageSeconds(T0.plusSeconds(3))).isEqualTo(3);
  }

  /** A Date that is not an HTTP-date gives no date_value: the response time stands in for it. */
  @Test
  void dateThatIsNotAnHttpDateIsReplacedByTheResponseTime() {
    Freshness f = at(headers("Date", date(T0.minusSeconds(100)).replace("GMT", "UTC")), T0, T0);
    assertThat(f.ageSeconds(T0)).isZero();
  }

  /**
   * §5.1: "a cache encountering a message with a list-based Age field value SHOULD use the first
   * member of the field value, discarding subsequent ones": {@code 7200, 0} makes a max-age=3600
   * response stale, {@code 0, 7200} leaves it fresh.
   */
  @Test
  void aListBasedAgeUsesItsFirstMember() {
    Freshness old = at(headers("Date", date(T0), "Cache-Control", "max-age=3600", "Age", "7200, 0"), T0, T0);
    assertThat(old.ageSeconds(T0)).isEqualTo(7200);
    assertThat(old.isFresh(T0)).isFalse();
    Freshness young = at(headers("Date", date(T0), "Cache-Control", "max-age=3600", "Age", "0, 7200"), T0, T0);
    assertThat(young.ageSeconds(T0)).isZero();
    assertThat(young.isFresh(T0)).isTrue();
  }

  /** §5.1: of several Age lines the first one counts (the first member of the combined value). */
  @Test
  void ofSeveralAgeLinesTheFirstCounts() {
    MultiMap h = headers("Date", date(T0), "Cache-Control", "max-age=3600", "Age", "7200", "Age", "0");
    assertThat(at(h, T0, T0).isFresh(T0)).isFalse();
  }

  /**
   * §5.1: "If the field value (after discarding additional members, as per above) is invalid (e.g.,
   * it contains something other than a non-negative integer), a cache SHOULD ignore the field."
   */
  @Test
  void anAgeThatIsNotANonNegativeIntegerIsIgnored() {
    for (String invalid : new String[] {"-7200", "7200.0", "abc", "", "7200 s"}) {
      Freshness f = at(headers("Date", date(T0), "Cache-Control", "max-age=3600", "Age", invalid), T0, T0);
      assertThat(f.ageSeconds(T0)).as(invalid).isZero();
      assertThat(f.isFresh(T0)).as(invalid).isTrue();
    }
  }

  @Test
  void invalidAgeHeaderIsIgnored() {
    Freshness f = at(headers("Date", date(T0), "Age", "ten"), T0, T0);
    assertThat(f.ageSeconds(T0)).isZero();
  }

  @Test
  void ageIsWholeSecondsRoundedDown() {
    Freshness f = at(headers("Date", date(T0)), T0, T0);
    assertThat(f.ageSeconds(T0.plusMillis(1999))).isEqualTo(1);
  }

  /** §1.2.2: delta-seconds overflow is sent as 2147483648. */
  @Test
  void hugeAgeIsCapped() {
    Freshness f = at(headers("Date", date(T0), "Age", "99999999999"), T0, T0);
    assertThat(f.ageSeconds(T0)).isEqualTo(CacheControl.DELTA_SECONDS_CAP);
  }
}
