package dev.kasoku.cacheedge.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.testing.MutableClock;
import io.vertx.core.MultiMap;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The peer credentials on their own, with a fake clock (the listener's answers are in {@link PeerListenerTest}). */
class PeerAuthTest {
  private static final byte[] SECRET = "peer-auth-test-secret-of-32-characters!".getBytes(StandardCharsets.UTF_8);
  private static final String KEY = "acme:www:GET:www.example.com/a.js";
  private final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T10:00:00Z"));
  private final PeerAuth auth = new PeerAuth(SECRET, clock, Duration.ofSeconds(5));

  private MultiMap signed(PeerAuth signer, String method, String key, String node) {
    MultiMap h = MultiMap.caseInsensitiveMultiMap();
    signer.sign(h, method, key, node);
    return h;
  }

  @Test
  void aSignedRequestIsAcceptedOnceAndItsReplayIsRefused() {
    MultiMap h = signed(auth, "GET", KEY, "edge-1");
    assertThat(auth.verify(h, "GET", KEY)).isEqualTo(PeerAuth.Verdict.OK);
    assertThat(auth.verify(h, "GET", KEY)).isEqualTo(PeerAuth.Verdict.REPLAYED);
    assertThat(auth.verify(signed(auth, "GET", KEY, "edge-1"), "GET", KEY))
        .as("a new request (new nonce) for the same key").isEqualTo(PeerAuth.Verdict.OK);
  }

  @Test
  void theSignatureCoversMethodKeyNodeTimeAndNonce() {
    MultiMap h = signed(auth, "GET", KEY, "edge-1");
    assertThat(auth.verify(h, "HEAD", KEY)).isEqualTo(PeerAuth.Verdict.BAD_SIGNATURE);
    assertThat(auth.verify(h, "GET", KEY + "x")).isEqualTo(PeerAuth.Verdict.BAD_SIGNATURE);
    for (String field : new String[] {PeerAuth.NODE, PeerAuth.TIME, PeerAuth.NONCE}) {
      MultiMap altered = MultiMap.caseInsensitiveMultiMap().addAll(h);
      altered.set(field, field.equals(PeerAuth.TIME) ? Long.toString(clock.millis() + 1) : h.get(field) + "x");
      assertThat(auth.verify(altered, "GET", KEY)).as(field).isEqualTo(PeerAuth.Verdict.BAD_SIGNATURE);
    }
  }

  @Test
  void aRequestSignedUnderAnotherSecretIsRefused() {
    PeerAuth other = new PeerAuth("another-secret-another-secret-another".getBytes(StandardCharsets.UTF_8), clock,
        Duration.ofSeconds(5));
    assertThat(auth.verify(signed(other, "GET", KEY, "edge-1"), "GET", KEY)).isEqualTo(PeerAuth.Verdict.BAD_SIGNATURE);
  }

  @Test
  void aRequestOutsideTheSkewBoundIsExpiredEitherWay() {
    MultiMap old = signed(auth, "GET", KEY, "edge-1");
    clock.advance(Duration.ofMillis(5001));
    assertThat(auth.verify(old, "GET", KEY)).isEqualTo(PeerAuth.Verdict.EXPIRED);
    MultiMap withinBound = signed(auth, "GET", KEY, "edge-1");
    clock.advance(Duration.ofSeconds(5));
    assertThat(auth.verify(withinBound, "GET", KEY)).isEqualTo(PeerAuth.Verdict.OK);
    MultiMap future = signed(new PeerAuth(SECRET, new MutableClock(clock.instant().plusSeconds(6)),
        Duration.ofSeconds(5)), "GET", KEY, "edge-1");
    assertThat(auth.verify(future, "GET", KEY)).isEqualTo(PeerAuth.Verdict.EXPIRED);
  }

  @Test
  void missingOrMalformedCredentialsAre401AndWrongOnes403() {
    assertThat(auth.verify(MultiMap.caseInsensitiveMultiMap(), "GET", KEY)).isEqualTo(PeerAuth.Verdict.MISSING);
    MultiMap h = signed(auth, "GET", KEY, "edge-1");
    h.remove(PeerAuth.SIGNATURE);
    assertThat(auth.verify(h, "GET", KEY)).isEqualTo(PeerAuth.Verdict.MISSING);
    MultiMap badTime = signed(auth, "GET", KEY, "edge-1").set(PeerAuth.TIME, "yesterday");
    assertThat(auth.verify(badTime, "GET", KEY)).isEqualTo(PeerAuth.Verdict.MALFORMED);
    assertThat(PeerAuth.Verdict.MISSING.status()).isEqualTo(401);
    assertThat(PeerAuth.Verdict.MALFORMED.status()).isEqualTo(401);
    assertThat(PeerAuth.Verdict.BAD_SIGNATURE.status()).isEqualTo(403);
    assertThat(PeerAuth.Verdict.EXPIRED.status()).isEqualTo(403);
    assertThat(PeerAuth.Verdict.REPLAYED.status()).isEqualTo(403);
  }

  @Test
  void acceptedSignaturesAreForgottenOnceTheyCouldNoLongerBeReplayed() {
    for (int i = 0; i < 1000; i++) {
      assertThat(auth.verify(signed(auth, "GET", KEY + i, "edge-1"), "GET", KEY + i)).isEqualTo(PeerAuth.Verdict.OK);
    }
    assertThat(auth.remembered()).isEqualTo(1000);
    clock.advance(Duration.ofSeconds(6));
    for (int i = 0; i < 30; i++) {
      auth.verify(signed(auth, "GET", KEY + "-new" + i, "edge-1"), "GET", KEY + "-new" + i);
    }
    assertThat(auth.remembered()).as("the 1,000 old ones pruned at the 1,024th check").isEqualTo(30);
  }
}
