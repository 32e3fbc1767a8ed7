package dev.kasoku.cacheedge.purge;

import dev.kasoku.cacheedge.policy.CompiledSite;
import dev.kasoku.cacheedge.policy.Freshness;
import dev.kasoku.cacheedge.policy.KeyFormat;
import dev.kasoku.cacheedge.policy.TargetedControls;
import dev.kasoku.cacheedge.policy.VaryKey;
import dev.kasoku.cacheedge.storage.Body;
import dev.kasoku.cacheedge.storage.BodyWriter;
import dev.kasoku.cacheedge.storage.Storage;
import dev.kasoku.cacheedge.storage.StoredObject;
import dev.kasoku.common.site.SiteConfig;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.time.Instant;
import java.util.List;

/** Stored objects as the engine files them, with a simple key format the tests' {@link UrlKeys} share. */
final class TestObjects {
  private TestObjects() {}

  private static final CompiledSite SITE = CompiledSite.compile("tenant-a", "site-a", SiteConfig.parse(
      "{\"hostnames\":[\"www.example.com\"],\"origins\":[{\"url\":\"http://origin.example\"}]}"));

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
    MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("content-type", "text/plain")
        .add("cache-control", "max-age=3600");
    if (!variant.isEmpty()) {
      headers.add("vary", "accept-encoding");
    }
    Freshness freshness = Freshness.compute(200, headers, TargetedControls.select(headers), SITE, SITE.ruleFor("/"),
        Instant.ofEpochMilli(requestTimeMs), Instant.ofEpochMilli(requestTimeMs));
    return new StoredObject(key(tenant, host, pathAndQuery), variant, tenant, host, pathAndQuery, 200, headers,
        VaryKey.of(headers), freshness, tags, storage.generation(tenant), false, body);
  }

  static StoredObject put(Storage storage, String tenant, String host, String pathAndQuery, List<String> tags,
                          String variant, long requestTimeMs) {
    StoredObject o = object(storage, tenant, host, pathAndQuery, tags, variant, requestTimeMs);
    storage.put(o);
    return o;
  }

  /** What a request for the object would find: null when it is gone. */
  static StoredObject lookup(Storage storage, String tenant, String host, String pathAndQuery, String variant) {
    return storage.get(KeyFormat.full(key(tenant, host, pathAndQuery), variant));
  }
}
