package dev.kasoku.bench;

import dev.kasoku.cacheedge.storage.BodyWriter;
import dev.kasoku.cacheedge.storage.Storage;
import dev.kasoku.cacheedge.storage.StoredObject;
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

  /**
   * A storage key for key index {@code i}: the shape of the edge's primary key (tenant, site, method
   * class, host, canonical path) as a string; {@link CacheKeyBenchmark} measures computing one.
   */
  public static String key(int i) {
    return TENANT + '\u0000' + "s-bench" + '\u0000' + "GET" + '\u0000' + HOST + '\u0000' + path(i);
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
