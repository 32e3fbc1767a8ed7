package dev.kasoku.launcher.purge;

import dev.kasoku.common.store.Store;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Tenants, sites and edge requests for the purge tests, written straight to the store. */
final class PurgeFixtures {
  private PurgeFixtures() {}

  /** A response as a client of the edge saw it. */
  record Resp(int status, MultiMap headers, String body) {
    String cacheStatus() {
      return headers.get("Cache-Status");
    }

    boolean hit() {
      String cs = cacheStatus();
      return cs != null && cs.contains("; hit");
    }
  }

  /** A site of the tenant serving {@code host} from the origin. */
  static void site(Store store, String tenant, String site, String host, String originUrl) throws Exception {
    String json = "{\"hostnames\":[\"" + host + "\"],\"origins\":[{\"url\":\"" + originUrl + "\"}],\"staleWhileRevalidate\":\"0s\"}";
    store.sites().put(tenant, site, List.of(host), json, "test", Instant.now()).await(5, TimeUnit.SECONDS);
  }

  static io.vertx.core.Future<Resp> getAsync(HttpClient client, int edgePort, String host, String path) {
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(edgePort)
        .setURI(path).putHeader("Host", host);
    return client.request(o).compose(req -> req.send()
        .compose(r -> r.body().map(b -> new Resp(r.statusCode(), r.headers(), b.toString()))));
  }

  static Resp get(HttpClient client, int edgePort, String host, String path) throws Exception {
    return getAsync(client, edgePort, host, path).await(15, TimeUnit.SECONDS);
  }

  static Buffer none() {
    return Buffer.buffer();
  }
}
