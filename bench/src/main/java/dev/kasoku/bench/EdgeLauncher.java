package dev.kasoku.bench;

import dev.kasoku.cacheedge.EdgeSettings;
import dev.kasoku.cacheedge.engine.EdgeRuntime;
import dev.kasoku.cacheedge.engine.EdgeServerVerticle;
import dev.kasoku.cacheedge.sites.SiteTable;
import dev.kasoku.cacheedge.storage.MemoryStorage;
import dev.kasoku.common.config.ConfigLoader;
import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.store.Store;
import dev.kasoku.common.store.embedded.EmbeddedStore;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Instant;
import java.util.List;

/**
 * Starts a cache edge with one site for the load harness ({@code bench/edge-compare/run.sh}): the
 * edge's own listener verticles on the embedded store, configured from the usual environment
 * (KASOKU_EDGE_PORT, KASOKU_EDGE_MEMORY, KASOKU_ALLOWED_ORIGIN_NETWORKS, KASOKU_DATA_DIR), with one
 * site written to the store first: {@code --host} routed to {@code --origin}, and paths under
 * {@code --pass-prefix} never cached (the equivalent of the Varnish and nginx configurations the
 * harness compares against). Nothing else of the edge differs from production.
 *
 * <pre>
 *   KASOKU_EDGE_PORT=8080 KASOKU_EDGE_MEMORY=2g KASOKU_ALLOWED_ORIGIN_NETWORKS=127.0.0.0/8 \
 *     java -Xms4g -Xmx4g -cp bench/target/kasoku-bench.jar dev.kasoku.bench.EdgeLauncher \
 *     --host bench.kasoku.test --origin http://127.0.0.1:8000 --pass-prefix /nostore/
 * </pre>
 * Runs until the process is stopped.
 */
public final class EdgeLauncher {
  private static final System.Logger LOG = System.getLogger(EdgeLauncher.class.getName());

  private EdgeLauncher() {}

  public static void main(String[] args) {
    String host = arg(args, "--host", "bench.kasoku.test");
    String origin = arg(args, "--origin", "http://127.0.0.1:8000");
    String passPrefix = arg(args, "--pass-prefix", "/nostore/");
    KasokuConfig config = ConfigLoader.fromEnvironment();
    EdgeSettings settings = EdgeSettings.from(config);

    Vertx vertx = Vertx.vertx();
    Store store = EmbeddedStore.open(vertx, config.dataDir()).await();
    String site = "{\"hostnames\":[\"" + host + "\"],\"origins\":[{\"url\":\"" + origin + "\"}],"
        + "\"rules\":[{\"match\":{\"pathPrefix\":\"" + passPrefix + "\"},\"cache\":false}]}";
    store.sites().put(BenchObjects.TENANT, "s-bench", List.of(host), site, "bench", Instant.now()).await();
    SiteTable sites = new SiteTable(store.sites());
    sites.reload().await();
    MemoryStorage storage = new MemoryStorage(settings.memoryBytes(), settings.maxObjectBytes(), settings.maxVariants());
    EdgeRuntime runtime = new EdgeRuntime(settings, storage, sites, Clock.systemUTC());
    for (int i = 0; i < settings.instances(); i++) {
      vertx.deployVerticle(new EdgeServerVerticle(runtime)).await();
    }
    LOG.log(System.Logger.Level.INFO, "edge on {0}:{1,number,#} with {2} instances, budget {3,number,#} bytes, {4} -> {5}",
        settings.bindAddress(), settings.port(), settings.instances(), settings.memoryBytes(), host, origin);
  }

  private static String arg(String[] args, String name, String dflt) {
    for (int i = 0; i < args.length - 1; i++) {
      if (args[i].equals(name)) {
        return args[i + 1];
      }
    }
    return dflt;
  }
}
