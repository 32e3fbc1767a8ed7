package dev.kasoku.auth.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kasoku.common.testing.Await;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Argon2id with the production parameters: format, verification, rehash detection, off the event loop. */
class PasswordHasherTest {
  private static final System.Logger LOG = System.getLogger(PasswordHasherTest.class.getName());
  private static Vertx vertx;
  private static PasswordHasher hasher;

  @BeforeAll
  static void setUp() {
    vertx = Vertx.vertx();
    hasher = new PasswordHasher(vertx, PasswordHasher.Params.DEFAULT);
  }

  @AfterAll
  static void tearDown() {
    Await.result(hasher.close());
    Await.result(vertx.close());
  }

  @Test
  void aHashRecordsItsAlgorithmAndParametersAndVerifiesOnlyTheRightPassword() {
    long start = System.nanoTime();
    String hash = Await.result(hasher.hash("tulip-Harbour-91-kettle"));
    long ms = (System.nanoTime() - start) / 1_000_000;
    LOG.log(System.Logger.Level.INFO, "Argon2id m=19456,t=2,p=1 hash took " + ms + " ms");
    assertThat(hash).matches("\\$argon2id\\$v=19\\$m=19456,t=2,p=1\\$[A-Za-z0-9+/]{22}\\$[A-Za-z0-9+/]{43}");
    assertThat(Await.result(hasher.verify("tulip-Harbour-91-kettle", hash))).isTrue();
    assertThat(Await.result(hasher.verify("tulip-Harbour-91-kettlE", hash))).isFalse();
    assertThat(Await.result(hasher.hash("tulip-Harbour-91-kettle"))).as("salted").isNotEqualTo(hash);
  }

  @Test
  void measureTheProductionCost() {
    Await.result(hasher.hash("warm-up-the-jit-please"));
    long[] ms = new long[3];
    for (int i = 0; i < ms.length; i++) {
      long start = System.nanoTime();
      Await.result(hasher.hash("tulip-Harbour-91-kettle"));
      ms[i] = (System.nanoTime() - start) / 1_000_000;
    }
    java.util.Arrays.sort(ms);
    LOG.log(System.Logger.Level.INFO, "Argon2id m=19456,t=2,p=1 warm hash: median " + ms[1] + " ms (min " + ms[0]
        + ", max " + ms[2] + ")");
    assertThat(ms[0]).isPositive();
  }

  @Test
  void aHashMadeWithOtherParametersStillVerifiesAndAsksForARehash() {
    String old = PasswordHasher.hashNow("tulip-Harbour-91-kettle", new PasswordHasher.Params(1024, 1, 1));
    assertThat(Await.result(hasher.verify("tulip-Harbour-91-kettle", old))).isTrue();
    assertThat(hasher.needsRehash(old)).isTrue();
    assertThat(hasher.needsRehash(Await.result(hasher.hash("x-y-z-w-v-u-t")))).isFalse();
  }

  @Test
  void malformedOrAbsurdStoredHashesNeverVerify() {
    assertThat(PasswordHasher.verifyNow("p", "plain-text-password")).isFalse();
    assertThat(PasswordHasher.verifyNow("p", "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA")).isFalse();
    assertThat(PasswordHasher.verifyNow("p", "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"))
        .as("memory above the cap is refused, not attempted").isFalse();
    assertThatThrownBy(() -> new PasswordHasher.Params(4, 1, 1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void hashingRunsOffTheEventLoop() {
    Context ctx = vertx.getOrCreateContext();
    boolean[] onEventLoop = new boolean[1];
    Await.result(io.vertx.core.Future.<Void>future(p -> ctx.runOnContext(v ->
        hasher.verify("a", PasswordHasher.hashNow("a", new PasswordHasher.Params(1024, 1, 1)))
            .onComplete(r -> {
              onEventLoop[0] = Context.isOnEventLoopThread();
              p.complete();
            }))));
    // the continuation comes back on the caller's event loop, the work itself ran on the worker pool
    assertThat(onEventLoop[0]).isTrue();
  }
}
