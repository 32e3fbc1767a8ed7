package dev.kasoku.deploy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kasoku.deploy.Model.ConfigMap;
import dev.kasoku.deploy.Model.Hpa;
import dev.kasoku.deploy.Model.Ingress;
import dev.kasoku.deploy.Model.NetworkPolicy;
import dev.kasoku.deploy.Model.Obj;
import dev.kasoku.deploy.Model.Pdb;
import dev.kasoku.deploy.Model.Secret;
import dev.kasoku.deploy.Model.Service;
import dev.kasoku.deploy.Model.Workload;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One rendered kustomization: its objects as JSON trees (what kubectl would apply) and typed views
 * of the kinds the rules read.
 *
 * @param name how tests and messages call it ("overlays/prod")
 * @param pendingRoles roles a component may run although this release has no such role yet
 * @param pendingKeys KASOKU_* keys a component may set although this release does not know them yet
 */
record Rendering(String name, List<ObjectNode> objects, Set<String> pendingRoles, Set<String> pendingKeys) {
  static final Set<String> WORKLOAD_KINDS = Set.of(
      "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod", "ReplicationController");

  /** The repository's deploy/k8s (the module's tests run with deploy/ as working directory). */
  static Path k8sDir() {
    return Path.of("k8s").toAbsolutePath();
  }

  Rendering {
    pendingRoles = Set.copyOf(pendingRoles);
    pendingKeys = Set.copyOf(pendingKeys);
  }

  /** A deep copy whose objects, and their list, a test may change (to see a rule catch a violation). */
  Rendering copy() {
    return new Rendering(name, new java.util.ArrayList<>(objects.stream().map(ObjectNode::deepCopy).toList()),
        pendingRoles, pendingKeys);
  }

  List<Obj> all() {
    return objects.stream().map(o -> Model.bind(o, Obj.class)).toList();
  }

  List<ObjectNode> ofKind(String kind) {
    return objects.stream().filter(o -> o.path("kind").asText().equals(kind)).toList();
  }

  /** Every workload except CronJobs and bare Pods, whose templates sit elsewhere. */
  List<Workload> workloads() {
    return objects.stream()
        .filter(o -> WORKLOAD_KINDS.contains(o.path("kind").asText()))
        .filter(o -> o.path("spec").has("template"))
        .map(o -> Model.bind(o, Workload.class)).toList();
  }

  List<Service> services() {
    return ofKind("Service").stream().map(o -> Model.bind(o, Service.class)).toList();
  }

  List<Ingress> ingresses() {
    return ofKind("Ingress").stream().map(o -> Model.bind(o, Ingress.class)).toList();
  }

  List<NetworkPolicy> networkPolicies() {
    return ofKind("NetworkPolicy").stream().map(o -> Model.bind(o, NetworkPolicy.class)).toList();
  }

  List<Hpa> autoscalers() {
    return ofKind("HorizontalPodAutoscaler").stream().map(o -> Model.bind(o, Hpa.class)).toList();
  }

  List<Pdb> disruptionBudgets() {
    return ofKind("PodDisruptionBudget").stream().map(o -> Model.bind(o, Pdb.class)).toList();
  }

  List<Secret> secrets() {
    return ofKind("Secret").stream().map(o -> Model.bind(o, Secret.class)).toList();
  }

  Optional<ConfigMap> configMap(String name) {
    return ofKind("ConfigMap").stream().map(o -> Model.bind(o, ConfigMap.class))
        .filter(c -> c.metadata().name().equals(name)).findFirst();
  }

  Optional<Secret> secret(String name) {
    return secrets().stream().filter(s -> s.metadata().name().equals(name)).findFirst();
  }

  Optional<ObjectNode> object(String kind, String name) {
    return ofKind(kind).stream().filter(o -> o.path("metadata").path("name").asText().equals(name)).findFirst();
  }

  @Override
  public String toString() {
    return name;
  }
}
