package dev.kasoku.cacheedge.engine;

import dev.kasoku.cacheedge.policy.CacheControl;
import dev.kasoku.cacheedge.policy.CacheStatus;
import dev.kasoku.cacheedge.policy.CanonicalRequest;
import dev.kasoku.cacheedge.policy.Freshness;
import dev.kasoku.cacheedge.policy.KeyFormat;
import dev.kasoku.cacheedge.policy.VaryKey;
import dev.kasoku.cacheedge.storage.Storage;
import dev.kasoku.cacheedge.storage.StoredObject;
import io.vertx.core.MultiMap;
import java.time.Clock;

/**
 * One cache lookup for a request (the hash lookup of the state machine's LOOKUP step): the primary
 * key, then the secondary key of the Vary the stored response named, then the object under the full
 * key and how fresh it is for this request. A soft-purged object is stale whatever its age.
 *
 * @param key the key a fill for this request is stored and collapsed under (the primary key alone
 *     when the request's Vary fields could not be keyed)
 * @param object the object found, its body retained for the caller (who releases it); null: a miss
 * @param verdict the object's freshness for this request; null on a miss
 * @param missKind how a miss is forwarded (Cache-Status {@code fwd}); null on a hit
 */
record Lookup(String key, StoredObject object, Freshness.Verdict verdict, CacheStatus.Fwd missKind) {

  static Lookup of(Storage storage, CanonicalRequest canon, MultiMap clientHeaders, CacheControl requestCc,
                   Clock clock) {
    String primary = canon.primaryKey();
    VaryKey vary = storage.varyOf(primary);
    String secondary = vary == null ? VaryKey.NONE : vary.secondaryKey(clientHeaders);
    if (secondary == null) {
      return new Lookup(primary, null, null, CacheStatus.Fwd.VARY_MISS);
    }
    String key = KeyFormat.full(primary, secondary);
    StoredObject o = storage.get(key);
    if (o == null || !o.body().tryRetain()) {
      return new Lookup(key, null, null, vary == null ? CacheStatus.Fwd.URI_MISS : CacheStatus.Fwd.VARY_MISS);
    }
    Freshness.Verdict v = o.forcedStale() ? o.freshness().softPurgedVerdict(requestCc)
        : o.freshness().verdict(clock.instant(), requestCc);
    return new Lookup(key, o, v, null);
  }
}
