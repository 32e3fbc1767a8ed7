package dev.kasoku.bench;

import dev.kasoku.cacheedge.policy.CacheKey;
import dev.kasoku.cacheedge.policy.CompiledSite;
import dev.kasoku.cacheedge.storage.BodyWriter;
import dev.kasoku.cacheedge.storage.Storage;
import dev.kasoku.cacheedge.storage.StoredObject;
import dev.kasoku.common.site.SiteConfig;
import io.vertx.core.buffer.Buffer;
import java.util.List;

/**
 * Builds stored objects shaped like what the edge stores for a small static file from nginx: the
 * response head an nginx origin sends (each object gets its own header strings, as a parsed
 * response would, so heap figures are not flattered by sharing) and a body copied into the
 * storage's direct memory through its {@link BodyWriter}, the path a real fill takes.
 */
public final class BenchObjects {
  /** The tenant, site and host every bench object belongs to. */
  public static final String TENANT = "t-bench";
  public static final String HOST = "bench.kasoku.test";

  private BenchObjects() {}

  /** A site like the one the edge-compare harness configures: one origin, a pass rule. */
  public static final CompiledSite SITE = CompiledSite.compile(TENANT, "s-bench", SiteConfig.parse(
      "{\"hostnames\":[\"" + HOST + "\"],\"origins\":[{\"url\":\"http://127.0.0.1:8000\"}],"
          + "\"rules\":[{\"match\":{\"pathPrefix\":\"/nostore/\"},\"cache\":false}]}"));

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
  public static StoredObject object(Storage storage, String key, String path, Buffer body, long nowMs) {
    BodyWriter w = storage.newBody(body.length());
    w.append(body);
    String[] headers = {
        copy("Server"), copy("nginx/1.22.1"),
        copy("Date"), copy("Wed, 25 Nov 2026 19:28:44 GMT"),
        copy("Content-Type"), copy("application/octet-stream"),
        copy("Content-Length"), Integer.toString(body.length()),
        copy("Last-Modified"), copy("Wed, 25 Nov 2026 19:28:41 GMT"),
        copy("ETag"), "\"" + Long.toHexString(nowMs) + "-" + Integer.toHexString(key.hashCode()) + "\"",
        copy("Cache-Control"), copy("public, max-age=86400"),
        copy("Accept-Ranges"), copy("bytes")};
    return new StoredObject(key, "", TENANT, HOST, path, 200, headers, List.of(), nowMs, nowMs, 0,
        86_400_000L, 0, 0, false, List.of(), storage.generation(TENANT), false, w.finish());
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
