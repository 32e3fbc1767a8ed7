package dev.kasoku.bench;

import dev.kasoku.cacheedge.policy.CacheKey;
import dev.kasoku.cacheedge.policy.CompiledSite;
import dev.kasoku.cacheedge.policy.Freshness;
import dev.kasoku.cacheedge.policy.Headers;
import dev.kasoku.cacheedge.policy.TargetedControls;
import dev.kasoku.cacheedge.policy.VaryKey;
import dev.kasoku.cacheedge.storage.BodyWriter;
import dev.kasoku.cacheedge.storage.Storage;
import dev.kasoku.cacheedge.storage.StoredObject;
import dev.kasoku.common.site.SiteConfig;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.time.Instant;
import java.util.List;

/**
 * Builds stored objects the way the edge's fill step does ({@code Fill#newStoredObject}):
 * the response head an nginx origin sends for a small static file, each object with its own header
 * strings as a decoded response would have, turned into stored fields, freshness and Vary by the
 * policy ({@link Headers#storedHeaders}, {@link Freshness#compute}, {@link VaryKey#of}), and a body
 * copied into the storage's direct memory through its {@link BodyWriter}.
 */
public final class BenchObjects {
  /** The tenant, site and host every bench object belongs to. */
  public static final String TENANT = "t-bench";
  public static final String HOST = "bench.kasoku.test";

  /** A site like the one the edge-compare harness configures: one origin, a pass rule. */
  public static final CompiledSite SITE = CompiledSite.compile(TENANT, "s-bench", SiteConfig.parse(
      "{\"hostnames\":[\"" + HOST + "\"],\"origins\":[{\"url\":\"http://127.0.0.1:8000\"}],"
          + "\"rules\":[{\"match\":{\"pathPrefix\":\"/nostore/\"},\"cache\":false}]}"));

  private BenchObjects() {}

  /**
   * The edge's primary key for GET {@code path(i)} on {@link #SITE}, computed by the policy's
   * {@link CacheKey} ({@link CacheKeyBenchmark} measures that computation).
   */
  public static String key(int i) {
    return CacheKey.canonicalize(SITE, "GET", HOST, path(i)).primaryKey();
  }

  public static String path(int i) {
    return "/k/" + i;
  }

  /** One 200 response of {@code body.length()} bytes stored under {@code key}. */
  public static StoredObject object(Storage storage, String key, String path, Buffer body, Instant now) {
    BodyWriter w = storage.newBody(body.length());
    w.append(body);
    MultiMap response = MultiMap.caseInsensitiveMultiMap()
        .add(copy("Server"), copy("nginx/1.22.1"))
        .add(copy("Date"), copy("Wed, 25 Nov 2026 19:28:44 GMT"))
        .add(copy("Content-Type"), copy("application/octet-stream"))
        .add(copy("Content-Length"), Integer.toString(body.length()))
        .add(copy("Last-Modified"), copy("Wed, 25 Nov 2026 19:28:41 GMT"))
        .add(copy("Connection"), copy("keep-alive"))
        .add(copy("ETag"), "\"" + Long.toHexString(now.toEpochMilli()) + "-" + Integer.toHexString(key.hashCode()) + "\"")
        .add(copy("Cache-Control"), copy("public, max-age=86400"))
        .add(copy("Accept-Ranges"), copy("bytes"));
    TargetedControls tc = TargetedControls.select(response);
    Freshness freshness = Freshness.compute(200, response, tc, SITE, SITE.ruleFor(path), now, now);
    return new StoredObject(key, VaryKey.NONE, TENANT, HOST, path, 200,
        Headers.storedHeaders(response, tc.directives()), VaryKey.of(response), freshness,
        Headers.surrogateKeys(response), storage.generation(TENANT), false, w.finish());
  }

  /** A body of {@code size} bytes with some variety (its content does not matter to the storage). */
  public static Buffer body(int size, int seed) {
    byte[] b = new byte[size];
    for (int i = 0; i < size; i++) {
      b[i] = (byte) (seed * 31 + i);
    }
    return Buffer.buffer(b);
  }

  private static String copy(String s) {
    return new String(s.toCharArray());
  }
}
