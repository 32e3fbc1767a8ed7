package dev.kasoku.cacheedge.policy;

import static dev.kasoku.cacheedge.policy.TestSites.site;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Randomised checks of the cache key's invariants over hostile request-targets (fixed seed, so a
 * failure reproduces): only {@link MalformedRequestException} is ever thrown; the forwarded uri is
 * a suffix of the key; canonicalisation is idempotent (the origin, given our uri, is keyed the
 * same); the uri holds only characters that are legal unencoded in a request-target.
 */
class CacheKeyFuzzTest {
  private static final String ALPHABET = "aZ09-._~!$&'()*+,;=:@/?%#\\\"<>^`{|} \t\r\n\u0000\u007f\u00e9\u0100.%2e%2E%2f%2F%41%zz..//";

  @Test
  void canonicalisationInvariantsHoldForRandomTargets() {
    CompiledSite[] sites = {
        site(),
        site("\"rules\":[{\"match\":{\"pathPrefix\":\"/\"},\"query\":{\"only\":[\"a\",\"b\"]}}]"),
        site("\"rules\":[{\"match\":{\"pathRegex\":\"\\\\.js$\"},\"query\":{\"except\":[\"a\"]}}]"),
    };
    Random rnd = new Random(42);
    int accepted = 0;
    for (int i = 0; i < 20_000; i++) {
      StringBuilder sb = new StringBuilder("/");
      int len = rnd.nextInt(40);
      for (int k = 0; k < len; k++) {
        sb.append(ALPHABET.charAt(rnd.nextInt(ALPHABET.length())));
      }
      String target = sb.toString();
      CompiledSite s = sites[i % sites.length];
      CanonicalRequest r;
      try {
        r = CacheKey.canonicalize(s, "GET", "h.example", target);
      } catch (MalformedRequestException e) {
        assertThat(e.status()).isIn(400, 414);
        continue;
      }
      accepted++;
      assertThat(r.primaryKey()).as(target).isEqualTo(s.keyPrefix() + "GET:h.example" + r.uri());
      CanonicalRequest again = CacheKey.canonicalize(s, "GET", "h.example", r.uri());
      assertThat(again.uri()).as(target).isEqualTo(r.uri());
      for (int k = 0; k < r.uri().length(); k++) {
        char c = r.uri().charAt(k);
        assertThat(c > 0x20 && c < 0x7f && "\"<>\\^`{|}#".indexOf(c) < 0).as(target + " -> " + r.uri()).isTrue();
      }
    }
    assertThat(accepted).isGreaterThan(1000);
  }
}
