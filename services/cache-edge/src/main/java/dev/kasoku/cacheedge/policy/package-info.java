/**
 * HTTP caching semantics of the edge (RFC 9110, 9111, 5861, 9211, 9213), as pure functions and
 * immutable values: no I/O, no clock reads (time is passed in; the one exception is the century of
 * an obsolete two-digit RFC 850 year, which RFC 9110 defines relative to the current year), no
 * dependency on the engine. Every class here is safe to call from any event loop.
 *
 * <p>How the engine uses it, per request:
 * <ol>
 *   <li>{@link dev.kasoku.cacheedge.policy.CacheKey#normalizeHost} → site lookup →
 *       {@link dev.kasoku.cacheedge.policy.CacheKey#canonicalize} gives the
 *       {@link dev.kasoku.cacheedge.policy.CanonicalRequest}: primary key, rule, and the exact uri
 *       to forward ({@link dev.kasoku.cacheedge.policy.MalformedRequestException} → 400/414).</li>
 *   <li>Lookup: primary key, then the stored {@link dev.kasoku.cacheedge.policy.VaryKey} of the
 *       entry to compute/compare the secondary key.</li>
 *   <li>Hit: {@link dev.kasoku.cacheedge.policy.Freshness#verdict} (FRESH / STALE_WHILE_REVALIDATE
 *       / STALE), {@link dev.kasoku.cacheedge.policy.Conditionals#evaluate} (304/412),
 *       {@link dev.kasoku.cacheedge.policy.Ranges#evaluate} (206/416), Age from
 *       {@link dev.kasoku.cacheedge.policy.Freshness#ageSeconds}.</li>
 *   <li>Origin request: {@link dev.kasoku.cacheedge.policy.Headers#copyForOrigin}, plus
 *       {@link dev.kasoku.cacheedge.policy.Conditionals#addRevalidationHeaders} when
 *       revalidating.</li>
 *   <li>Origin response: {@link dev.kasoku.cacheedge.policy.TargetedControls#select} →
 *       {@link dev.kasoku.cacheedge.policy.Freshness#compute} →
 *       {@link dev.kasoku.cacheedge.policy.Storability#decide}; store
 *       {@link dev.kasoku.cacheedge.policy.Headers#storedHeaders} with tags from
 *       {@link dev.kasoku.cacheedge.policy.Headers#surrogateKeys}; a 304 merges with
 *       {@link dev.kasoku.cacheedge.policy.Headers#updateFrom304} and recomputes Freshness.</li>
 *   <li>Client response: {@link dev.kasoku.cacheedge.policy.Headers#copyForClient}, Age,
 *       {@link dev.kasoku.cacheedge.policy.CacheStatus}.</li>
 * </ol>
 */
package dev.kasoku.cacheedge.policy;
