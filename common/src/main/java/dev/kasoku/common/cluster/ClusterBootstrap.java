package dev.kasoku.common.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MultiMapConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.spi.properties.ClusterProperty;
import dev.kasoku.common.bus.RecordCodec;
import dev.kasoku.common.config.ConfigException;
import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.prometheus.Prometheus;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the process's Vert.x: a plain one for a single process (local event bus), or a clustered
 * one whose event bus spans every Kasoku process, with Hazelcast as the cluster manager.
 *
 * <p>Why a programmatic Hazelcast config instead of vertx-hazelcast's {@code default-cluster.xml}:
 * the default joins by multicast, which must never happen in a datacenter or on a developer laptop
 * shared with other clusters, and keeps Hazelcast's 60 s heartbeat timeout, during which a dead edge
 * still counts as a member (and a purge waits for its ack). This config keeps exactly what
 * vertx-hazelcast needs from its default file (the {@code __vertx.subs} multimap as a SET with one
 * backup, the {@code __vertx.haInfo} and {@code __vertx.nodeInfo} maps with one backup; the cluster
 * manager adds the {@code __vertx.nodeId} member attribute itself) and changes the rest:
 * <ul>
 *   <li>discovery: TCP-IP with the explicit member list ({@code KASOKU_CLUSTER_MEMBERS}; this
 *       member alone when empty) or, when {@code KASOKU_K8S_SERVICE_DNS} is set, Hazelcast's
 *       built-in Kubernetes discovery in DNS mode (a headless Service, no API-server rights needed).
 *       Multicast and auto-detection are off;</li>
 *   <li>the member binds and announces {@code KASOKU_CLUSTER_HOST:KASOKU_CLUSTER_PORT} exactly (no
 *       port auto-increment, no bind-any), so what peers are told is what they can reach;</li>
 *   <li>heartbeats every {@value #HEARTBEAT_INTERVAL_SECONDS} s, a silent member is dropped after
 *       {@value #MAX_NO_HEARTBEAT_SECONDS} s;</li>
 *   <li>a member dropped that way and alive after all (a long GC pause, a frozen VM, a short
 *       partition) finds itself alone in a cluster of its own: Hazelcast looks for the other half
 *       and merges back every {@value #MERGE_DELAY_SECONDS} s instead of after 300 s and then every
 *       120 s. On the merge vertx-hazelcast puts its node info back and republishes its bus
 *       subscriptions, so the member takes messages again (without this the edge stayed a cluster
 *       of one for five minutes: its acks and heartbeats reached no purge instance, and purges
 *       reported it missing);</li>
 *   <li>Hazelcast's own JVM shutdown hook is off: the launcher closes Vert.x, which leaves the
 *       cluster in order (unregisters its bus consumers, then shuts Hazelcast down);</li>
 *   <li>phone-home off, JDK logging.</li>
 * </ul>
 * The clustered event bus carries messages over its own TCP connections, not through Hazelcast,
 * so its host is the cluster host (an address peers reach) and its port {@code KASOKU_EVENTBUS_PORT}
 * (fixed in Kubernetes, random by default).
 *
 * <p>Both paths register the bus codecs ({@link RecordCodec#registerAll}) before returning, so no
 * message can be sent before its codec exists.
 */
public final class ClusterBootstrap {
  /** Hazelcast cluster name: members of another cluster name never join ours. */
  public static final String CLUSTER_NAME = "kasoku";
  public static final int HEARTBEAT_INTERVAL_SECONDS = 5;
  public static final int MAX_NO_HEARTBEAT_SECONDS = 15;
  /** How soon, and how often, a member alone after a split looks for the rest of the cluster to merge into. */
  public static final int MERGE_DELAY_SECONDS = 5;
  /** Bound on Hazelcast's graceful leave (partition hand-over) so SIGTERM ends in time. */
  public static final int GRACEFUL_SHUTDOWN_MAX_WAIT_SECONDS = 5;
  /** vertx-hazelcast's structures (from its default-cluster.xml). */
  static final String SUBS_MULTIMAP = "__vertx.subs";
  static final String HA_INFO_MAP = "__vertx.haInfo";
  static final String NODE_INFO_MAP = "__vertx.nodeInfo";

  private ClusterBootstrap() {}

  /** Clustered when {@code settings.enabled()}, local otherwise. */
  public static Future<ClusterNode> start(KasokuConfig.ClusterSettings settings) {
    if (!settings.enabled()) {
      return Future.succeededFuture(startLocal());
    }
    Config hazelcast;
    try {
      hazelcast = hazelcastConfig(settings);
    } catch (ConfigException e) {
      return Future.failedFuture(e);
    }
    return startClustered(settings, hazelcast);
  }

  /**
   * The options every Kasoku Vert.x starts from: the native (epoll) transport where the platform has
   * it, which costs fewer system calls and less garbage per read and write than NIO; elsewhere
   * Vert.x falls back to NIO by itself ({@code Vertx#isNativeTransportEnabled} says which).
   */
  public static VertxOptions baseOptions() {
    return new VertxOptions().setPreferNativeTransport(true);
  }

  /** A single-process Vert.x with the local event bus. */
  public static ClusterNode startLocal() {
    PrometheusMeterRegistry registry = Prometheus.newRegistry();
    Vertx vertx = Prometheus.instrument(Vertx.builder(), baseOptions(), registry).build();
    RecordCodec.registerAll(vertx);
    return new ClusterNode(vertx, null, registry);
  }

  /**
   * A clustered Vert.x with the given Hazelcast config (normally {@link #hazelcastConfig}; tests
   * change the cluster name or timeouts on it first). Completes once this member has joined.
   */
  public static Future<ClusterNode> startClustered(KasokuConfig.ClusterSettings settings, Config hazelcast) {
    HazelcastClusterManager manager = new HazelcastClusterManager(hazelcast);
    PrometheusMeterRegistry registry = Prometheus.newRegistry();
    return Prometheus.instrument(Vertx.builder(), vertxOptions(settings), registry)
        .withClusterManager(manager)
        .buildClustered()
        .map(vertx -> {
          RecordCodec.registerAll(vertx);
          return new ClusterNode(vertx, manager, registry);
        });
  }

  /** The Vert.x options of a clustered member: the event bus listens where peers can reach it. */
  public static VertxOptions vertxOptions(KasokuConfig.ClusterSettings settings) {
    return baseOptions().setEventBusOptions(new EventBusOptions()
        .setHost(settings.host())
        .setPort(settings.eventBusPort()));
  }

  /** The Hazelcast member config for these settings (see the class comment for each choice). */
  public static Config hazelcastConfig(KasokuConfig.ClusterSettings settings) {
    Config config = new Config();
    config.setClusterName(CLUSTER_NAME);
    config.setProperty(ClusterProperty.SHUTDOWNHOOK_ENABLED.getName(), "false");
    config.setProperty(ClusterProperty.PHONE_HOME_ENABLED.getName(), "false");
    config.setProperty(ClusterProperty.LOGGING_TYPE.getName(), "jdk");
    config.setProperty(ClusterProperty.HEARTBEAT_INTERVAL_SECONDS.getName(), String.valueOf(HEARTBEAT_INTERVAL_SECONDS));
    config.setProperty(ClusterProperty.MAX_NO_HEARTBEAT_SECONDS.getName(), String.valueOf(MAX_NO_HEARTBEAT_SECONDS));
    config.setProperty(ClusterProperty.MERGE_FIRST_RUN_DELAY_SECONDS.getName(), String.valueOf(MERGE_DELAY_SECONDS));
    config.setProperty(ClusterProperty.MERGE_NEXT_RUN_DELAY_SECONDS.getName(), String.valueOf(MERGE_DELAY_SECONDS));
    config.setProperty(ClusterProperty.GRACEFUL_SHUTDOWN_MAX_WAIT.getName(), String.valueOf(GRACEFUL_SHUTDOWN_MAX_WAIT_SECONDS));
    // The defaults wait 5 s (up to 60 s) before joining, for members booting together: one
    // second is plenty on a LAN, and a late member simply joins the existing cluster.
    config.setProperty(ClusterProperty.WAIT_SECONDS_BEFORE_JOIN.getName(), "1");
    config.setProperty(ClusterProperty.MAX_WAIT_SECONDS_BEFORE_JOIN.getName(), "2");
    config.setProperty(ClusterProperty.SOCKET_BIND_ANY.getName(), "false");

    config.addMultiMapConfig(new MultiMapConfig(SUBS_MULTIMAP)
        .setBackupCount(1)
        .setValueCollectionType(MultiMapConfig.ValueCollectionType.SET));
    config.addMapConfig(new MapConfig(HA_INFO_MAP).setBackupCount(1));
    config.addMapConfig(new MapConfig(NODE_INFO_MAP).setBackupCount(1));

    NetworkConfig network = config.getNetworkConfig();
    network.setPort(settings.port()).setPortAutoIncrement(false);
    network.getInterfaces().setEnabled(true).addInterface(literalAddress(settings.host()));

    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    if (settings.k8sServiceDns().isPresent()) {
      join.getTcpIpConfig().setEnabled(false);
      join.getKubernetesConfig().setEnabled(true)
          .setProperty("service-dns", settings.k8sServiceDns().get())
          .setProperty("service-port", String.valueOf(settings.port()));
    } else {
      List<String> members = new ArrayList<>(settings.members());
      if (members.isEmpty()) {
        members.add(settings.host() + ":" + settings.port());
      }
      join.getTcpIpConfig().setEnabled(true).setConnectionTimeoutSeconds(2).setMembers(members);
    }
    return config;
  }

  /** Hazelcast's interface filter wants an IP, the operator may give a name: resolve it once. */
  private static String literalAddress(String host) {
    try {
      InetAddress address = InetAddress.getByName(host);
      if (address.isAnyLocalAddress()) {
        throw new ConfigException("KASOKU_CLUSTER_HOST", host,
            "must be an address the other members can reach (the pod IP in Kubernetes), not a wildcard");
      }
      return address.getHostAddress();
    } catch (UnknownHostException e) {
      throw new ConfigException("KASOKU_CLUSTER_HOST", host, "cannot be resolved to an address");
    }
  }
}
