package dev.kasoku.cacheedge;

import dev.kasoku.common.bus.RecordCodec;
import dev.kasoku.common.cluster.ClusterBootstrap;
import dev.kasoku.common.config.ConfigLoader;
import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.http.Health;
import dev.kasoku.common.store.Store;
import dev.kasoku.common.store.factory.StoreFactory;
import dev.kasoku.common.tls.SiteKeys;
import io.vertx.core.Vertx;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/**
 * Starts the edge alone, with one site, for benchmarks and local experiments (not the product's
 * entry point: that is the launcher). Configuration comes from the usual {@code KASOKU_*}
 * environment (port, memory, max object size, allowed origin networks, data dir for the embedded
 * store); the site from the arguments:
 *
 * <pre>
 * java -cp ... dev.kasoku.cacheedge.EdgeServerMain HOSTNAME ORIGIN_URL [SITE_JSON_FILE]
 *
 * KASOKU_EDGE_PORT=8080 KASOKU_EDGE_MEMORY=2g KASOKU_ALLOWED_ORIGIN_NETWORKS=127.0.0.0/8 \
 *   KASOKU_DATA_DIR=/tmp/edge-bench java -cp cache-edge.jar:... dev.kasoku.cacheedge.EdgeServerMain \
 *   bench.local http://127.0.0.1:9000
 * </pre>
 *
 * With a site JSON file (docs/openapi.yaml, schema SiteConfig), that document is stored as is (its hostnames must
 * include HOSTNAME); otherwise the site is {@code {"hostnames":[HOSTNAME],"origins":[{"url":ORIGIN_URL}]}}
 * with default rules (origin Cache-Control honoured). The site is stored under tenant and site
 * {@code bench}.
 *
 * <p>HTTPS: when the site JSON has a {@code tls} object ({@code certificatePem} and a plain PEM
 * {@code privateKeyPem}, as a PUT of the site takes it), the key is sealed as the config service
 * would seal it (so {@code KASOKU_SECRET_KEY} or the dev key in the data dir applies) and the edge
 * also listens on {@code KASOKU_EDGE_TLS_PORT} with {@code KASOKU_EDGE_TLS_PROVIDER}.
 */
public final class EdgeServerMain {
  private static final System.Logger LOG = System.getLogger(EdgeServerMain.class.getName());

  private EdgeServerMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      throw new IllegalArgumentException("usage: EdgeServerMain HOSTNAME ORIGIN_URL [SITE_JSON_FILE]");
    }
    String host = args[0];
    String json = args.length > 2 ? Files.readString(Path.of(args[2]))
        : "{\"hostnames\":[\"" + host + "\"],\"origins\":[{\"url\":\"" + args[1] + "\"}]}";
    KasokuConfig config = ConfigLoader.fromEnvironment();
    com.fasterxml.jackson.databind.node.ObjectNode doc =
        (com.fasterxml.jackson.databind.node.ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
    boolean https = doc.hasNonNull("tls");
    if (https) {
      com.fasterxml.jackson.databind.node.ObjectNode tls = (com.fasterxml.jackson.databind.node.ObjectNode) doc.get("tls");
      String key = tls.path("privateKeyPem").asText(null);
      if (key != null && !SiteKeys.isSealed(key)) {
        tls.put("privateKeyPem", SiteKeys.sealer(config).seal(key, SiteKeys.context("bench", "bench")));
      }
      json = doc.toString();
    }
    Vertx vertx = Vertx.builder().with(ClusterBootstrap.baseOptions()).build();
    RecordCodec.registerAll(vertx);
    Store store = StoreFactory.open(vertx, config).await();
    store.sites().put("bench", "bench", List.of(host), json, "edge-server-main", Clock.systemUTC().instant()).await();
    CacheEdgeVerticle edge = new CacheEdgeVerticle(store, new Health(), Clock.systemUTC(), EdgeSettings.from(config),
        https ? config : null);
    vertx.deployVerticle(edge).await();
    LOG.log(Level.INFO, "edge for {0} -> {1} on port {2}{3}", host, args[1], edge.port(),
        https ? ", https port " + edge.tlsPort() : "");
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      store.close().await();
      vertx.close().await();
    }));
  }
}
