package dev.kasoku.common.cluster;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import dev.kasoku.common.prometheus.Prometheus;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.List;

/**
 * This process's Vert.x and, when clustered, its membership in the Kasoku cluster. Built by
 * {@link ClusterBootstrap}; closing it closes Vert.x, which leaves the cluster.
 *
 * <p>Membership changes are logged at INFO (Hazelcast's own chatter is kept at WARNING by the
 * launcher's logging config), so an operator sees "member left" next to the requests it affected.
 */
public final class ClusterNode {
  /** Name of the readiness check this node contributes. */
  public static final String READINESS_CHECK = "cluster";
  private static final System.Logger LOG = System.getLogger(ClusterNode.class.getName());

  private final Vertx vertx;
  private final HazelcastClusterManager manager;
  private final PrometheusMeterRegistry metrics;

  ClusterNode(Vertx vertx, HazelcastClusterManager manager, PrometheusMeterRegistry metrics) {
    this.vertx = vertx;
    this.manager = manager;
    this.metrics = metrics;
    Prometheus.attach(vertx, metrics);
    Gauge.builder("kasoku.cluster.members", this, node -> node.members().size())
        .description("Members of the Kasoku cluster this process sees (1 when not clustered)")
        .register(metrics);
    if (manager != null) {
      manager.getHazelcastInstance().getCluster().addMembershipListener(new MembershipListener() {
        @Override
        public void memberAdded(MembershipEvent event) {
          LOG.log(System.Logger.Level.INFO, "cluster member joined: " + event.getMember().getAddress()
              + " (" + event.getMembers().size() + " members)");
        }

        @Override
        public void memberRemoved(MembershipEvent event) {
          LOG.log(System.Logger.Level.INFO, "cluster member left: " + event.getMember().getAddress()
              + " (" + event.getMembers().size() + " members)");
        }
      });
    }
  }

  public Vertx vertx() {
    return vertx;
  }

  /** The registry this node's Vert.x records its metrics into (served as Prometheus /metrics). */
  public PrometheusMeterRegistry metrics() {
    return metrics;
  }

  public boolean clustered() {
    return manager != null;
  }

  /** The Vert.x node ids of the current members; just this node's id when not clustered. */
  public List<String> members() {
    return manager == null ? List.of(nodeId()) : List.copyOf(manager.getNodes());
  }

  /** This node's Vert.x node id ("local" when not clustered). */
  public String nodeId() {
    return manager == null ? "local" : manager.getNodeId();
  }

  /**
   * The "cluster" readiness check: succeeds while this node is an active member of a cluster whose
   * member list includes it. The local event bus is always up.
   */
  public Future<Void> readiness() {
    if (manager == null) {
      return Future.succeededFuture();
    }
    HazelcastInstance hz = manager.getHazelcastInstance();
    if (!manager.isActive() || hz == null || !hz.getLifecycleService().isRunning()) {
      return Future.failedFuture("not a member of the cluster");
    }
    if (!manager.getNodes().contains(manager.getNodeId())) {
      return Future.failedFuture("this node is not in the cluster's member list");
    }
    return Future.succeededFuture();
  }

  /** Closes Vert.x: undeploys what is left, leaves the cluster, stops Hazelcast. */
  public Future<Void> close() {
    return vertx.close();
  }
}
