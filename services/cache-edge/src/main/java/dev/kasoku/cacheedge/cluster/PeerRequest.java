package dev.kasoku.cacheedge.cluster;

import io.vertx.core.MultiMap;
import java.util.Objects;

/**
 * What a requesting edge asks the owner of a cache key for.
 *
 * @param method {@code GET} or {@code HEAD} (only what the edge would cache goes through an owner)
 * @param primaryKey the cache key without its Vary part ({@code CacheKey.primaryKey}); the owner
 *     picks the variant itself from {@code headers}, since only it knows the stored Vary
 * @param headers the client's request header fields; hop-by-hop fields, Host and the peer
 *     credentials are not forwarded ({@link HttpPeerClient})
 */
public record PeerRequest(String method, String primaryKey, MultiMap headers) {
  public PeerRequest {
    if (!"GET".equals(method) && !"HEAD".equals(method)) {
      throw new IllegalArgumentException("only GET and HEAD go to a key's owner, not " + method);
    }
    Objects.requireNonNull(primaryKey, "primaryKey");
    headers = headers == null ? MultiMap.caseInsensitiveMultiMap()
        : MultiMap.caseInsensitiveMultiMap().addAll(headers);
  }

  /** A GET with the given client headers. */
  public static PeerRequest get(String primaryKey, MultiMap headers) {
    return new PeerRequest("GET", primaryKey, headers);
  }
}
