package dev.kasoku.cacheedge.purge;

import dev.kasoku.cacheedge.storage.Body;
import dev.kasoku.cacheedge.storage.BodyWriter;
import dev.kasoku.cacheedge.storage.Storage;
import dev.kasoku.cacheedge.storage.StoredObject;
import io.vertx.core.buffer.Buffer;
import java.util.List;

/** Stored objects as the engine files them, with a simple key format the tests' {@link UrlKeys} share. */
final class TestObjects {
  private TestObjects() {}

  /** The primary key a GET of host + pathAndQuery is stored under in these tests. */
  static String key(String tenant, String host, String pathAndQuery) {
    return tenant + "|" + host + "|GET|" + pathAndQuery;
  }

  static final UrlKeys KEYS = (tenant, host, pathAndQuery) -> List.of(key(tenant, host, pathAndQuery));

  static StoredObject object(Storage storage, String tenant, String host, String pathAndQuery, List<String> tags,
                             String variant, long requestTimeMs) {
    BodyWriter writer = storage.newBody(5);
    writer.append(Buffer.buffer("hello"));
    Body body = writer.finish();
    return new StoredObject(key(tenant, host, pathAndQuery), variant, tenant, host, pathAndQuery, 200,
        new String[] {"content-type", "text/plain"}, variant.isEmpty() ? List.of() : List.of("accept-encoding"),
        requestTimeMs, requestTimeMs, 0, 3_600_000, 0, 0, false, tags, storage.generation(tenant), false, body);
  }

  static StoredObject put(Storage storage, String tenant, String host, String pathAndQuery, List<String> tags,
                          String variant, long requestTimeMs) {
    StoredObject o = object(storage, tenant, host, pathAndQuery, tags, variant, requestTimeMs);
    storage.put(o);
    return o;
  }

  /** What a request for the object would find: null when it is gone. */
  static StoredObject lookup(Storage storage, String tenant, String host, String pathAndQuery, String variant) {
    return storage.get(StoredObject.fullKey(key(tenant, host, pathAndQuery), variant));
  }
}
