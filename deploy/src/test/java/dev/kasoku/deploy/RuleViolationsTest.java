package dev.kasoku.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The rules catch what they are for: each case breaks one thing in a copy of the rendered production
 * overlay (which passes as it is) and expects the violation that names it.
 */
class RuleViolationsTest {

  static Stream<Arguments> violations() {
    return Stream.of(
        broken("a new Deployment with nothing but a container", r -> add(r, """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: kasoku-search}
            spec:
              template:
                metadata: {labels: {app.kubernetes.io/name: kasoku, app.kubernetes.io/component: search}}
                spec:
                  containers:
                    - name: kasoku
                      image: registry.example.com/kasoku/kasoku:0.1.0
            """), "Deployment/kasoku-search container kasoku: has no securityContext",
            "Deployment/kasoku-search container kasoku: has no cpu limit",
            "Deployment/kasoku-search container kasoku: has no memory request",
            "Deployment/kasoku-search container kasoku: has no livenessProbe",
            "Deployment/kasoku-search container kasoku: readinessProbe must be an HTTP GET of /readyz",
            "Deployment/kasoku-search: automountServiceAccountToken must be false",
            "Deployment/kasoku-search: pod securityContext.runAsNonRoot must be true",
            "Deployment/kasoku-search: enableServiceLinks must be false",
            "Deployment/kasoku-search: must roll one pod at a time",
            "Deployment/kasoku-search: needs a PodDisruptionBudget",
            "KASOKU_SERVICES must name this workload's role(s)"),
        broken("the edge's limits removed", r -> edge(r).remove("resources"),
            "Deployment/kasoku-edge container kasoku: has no cpu limit",
            "Deployment/kasoku-edge container kasoku: has no memory limit"),
        broken("a request above its limit", r -> edge(r).with("resources").with("requests").put("cpu", "3"),
            "cpu request 3 is above its limit 2"),
        broken("readiness on /healthz", r -> edge(r).with("readinessProbe").with("httpGet").put("path", "/healthz"),
            "readinessProbe must GET /readyz, not /healthz"),
        broken("probes on the edge port", r -> edge(r).with("livenessProbe").with("httpGet").put("port", "http"),
            "livenessProbe must use the API port 8081"),
        broken("no startup probe", r -> edge(r).remove("startupProbe"), "startupProbe must be an HTTP GET of /healthz"),
        broken("a writable root filesystem", r -> edge(r).with("securityContext").put("readOnlyRootFilesystem", false),
            "readOnlyRootFilesystem must be true"),
        broken("a capability added", r -> edge(r).with("securityContext").with("capabilities").putArray("add").add("NET_ADMIN"),
            "must add no capability"),
        broken("capabilities kept", r -> edge(r).with("securityContext").remove("capabilities"),
            "capabilities.drop must contain ALL"),
        broken("root in the container", r -> edge(r).with("securityContext").put("runAsUser", 0), "must not run as root"),
        broken("privilege escalation", r -> edge(r).with("securityContext").put("allowPrivilegeEscalation", true),
            "allowPrivilegeEscalation must be false"),
        broken("seccomp unconfined", r -> pod(r, "kasoku-auth").with("securityContext").with("seccompProfile").put("type", "Unconfined"),
            "Deployment/kasoku-auth container kasoku: seccompProfile must be RuntimeDefault"),
        broken("a service-account token", r -> pod(r, "kasoku-purge").put("automountServiceAccountToken", true),
            "Deployment/kasoku-purge: automountServiceAccountToken must be false"),
        broken("Service links on", r -> pod(r, "kasoku-config").remove("enableServiceLinks"),
            "Deployment/kasoku-config: enableServiceLinks must be false"),
        broken("host network", r -> pod(r, "kasoku-config").put("hostNetwork", true), "must not use the host's network"),
        broken("an unknown role", r -> env(r, "kasoku-metrics", "KASOKU_SERVICES", "search"),
            "KASOKU_SERVICES names 'search', a role this release does not have"),
        broken("a typo in a key", r -> env(r, "kasoku-edge", "KASOKU_EDGE_MEMROY", "50%"),
            "KASOKU_EDGE_MEMROY is not a setting this release knows"),
        broken("a key of a feature not shipped yet", r -> env(r, "kasoku-edge", "KASOKU_EDGE_DISK_CACHE", "on"),
            "KASOKU_EDGE_DISK_CACHE is not a setting this release knows"),
        broken("a secret as a literal", r -> env(r, "kasoku-auth", "KASOKU_SECRET_KEY", "0123456789abcdef0123456789abcdef"),
            "KASOKU_SECRET_KEY is a secret: take it from a Secret"),
        broken("a secret in the ConfigMap", r -> config(r).put("KASOKU_BOOTSTRAP_TOKEN", "x"),
            "ConfigMap/kasoku-config: KASOKU_BOOTSTRAP_TOKEN is a secret and belongs in a Secret"),
        broken("a Secret committed to production", r -> add(r, """
            apiVersion: v1
            kind: Secret
            metadata: {name: kasoku-secrets}
            stringData: {KASOKU_SECRET_KEY: s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t}
            """), "Secret/kasoku-secrets: only the dev overlay may carry a Secret",
            "Secret/kasoku-secrets: KASOKU_SECRET_KEY looks like a real secret"),
        broken("a grace period shorter than the shutdown", r -> pod(r, "kasoku-edge").put("terminationGracePeriodSeconds", 10),
            "terminationGracePeriodSeconds 10 is shorter than preStop 5 s + KASOKU_SHUTDOWN_GRACE 10 s + 10 s"),
        broken("a longer shutdown grace without a longer period", r -> config(r).put("KASOKU_SHUTDOWN_GRACE", "1m"),
            "terminationGracePeriodSeconds 30 is shorter than preStop 5 s + KASOKU_SHUTDOWN_GRACE 60 s"),
        broken("no preStop pause", r -> edge(r).remove("lifecycle"), "needs a preStop sleep"),
        broken("a random event-bus port", r -> config(r).put("KASOKU_EVENTBUS_PORT", "0"),
            "KASOKU_EVENTBUS_PORT must be fixed"),
        broken("the cluster host from the node", r -> envFrom(r, "kasoku-edge", "KASOKU_CLUSTER_HOST", "status.hostIP"),
            "KASOKU_CLUSTER_HOST must be the pod IP"),
        broken("discovery through a Service that hides starting pods", r -> object(r, "Service", "kasoku-cluster")
            .with("spec").remove("publishNotReadyAddresses"), "Service kasoku-cluster must publish not-ready addresses"),
        broken("discovery through a Service with a cluster IP", r -> object(r, "Service", "kasoku-cluster")
            .with("spec").remove("clusterIP"), "Service kasoku-cluster must be headless"),
        broken("a heap that leaves no room", r -> env(r, "kasoku-auth", "JDK_JAVA_OPTIONS",
            "-XX:+UseG1GC -XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"), "exceed the memory limit 1Gi"),
        broken("the JVM's own collector choice", r -> env(r, "kasoku-auth", "JDK_JAVA_OPTIONS",
            "-XX:MaxRAMPercentage=50 -XX:MaxDirectMemorySize=128m -XX:+ExitOnOutOfMemoryError"), "must choose the collector"),
        broken("an edge cache bigger than direct memory", r -> env(r, "kasoku-edge", "KASOKU_EDGE_MEMORY", "100%"),
            "the edge cache budget 1638 MiB + 64 MiB of I/O buffers exceed the direct memory 1638 MiB"),
        broken("a memory request below the limit", r -> edge(r).with("resources").with("requests").put("memory", "2Gi"),
            "memory request must equal the limit"),
        broken("a rollout of many pods at once", r -> object(r, "Deployment", "kasoku-edge").with("spec").with("strategy")
            .with("rollingUpdate").put("maxUnavailable", "25%"), "Deployment/kasoku-edge: must roll one pod at a time"),
        broken("the edge without its autoscaler", r -> remove(r, "HorizontalPodAutoscaler", "kasoku-edge"),
            "Deployment/kasoku-edge: the edge needs a HorizontalPodAutoscaler"),
        broken("the edge with fixed replicas under its autoscaler", r -> object(r, "Deployment", "kasoku-edge")
            .with("spec").put("replicas", 3), "the autoscaler owns the edge's replicas"),
        broken("the edge without its disruption budget", r -> remove(r, "PodDisruptionBudget", "kasoku-edge"),
            "Deployment/kasoku-edge: needs a PodDisruptionBudget"),
        broken("the edge not spread over zones", r -> ((ArrayNode) pod(r, "kasoku-edge").get("topologySpreadConstraints")).remove(1),
            "the edge must be spread over topology.kubernetes.io/zone"),
        broken("logging as a Deployment", r -> object(r, "StatefulSet", "kasoku-logging").put("kind", "Deployment"),
            "logging must be a StatefulSet"),
        broken("logs on an emptyDir", r -> ((ObjectNode) object(r, "StatefulSet", "kasoku-logging").path("spec")
            .path("volumeClaimTemplates").get(0).path("metadata")).put("name", "other"),
            "KASOKU_LOG_DIR /var/lib/kasoku/logs must be on a volume claimed per instance"),
        broken("the data directory on the read-only root", r -> ((ArrayNode) edge(r).get("volumeMounts")).remove(1),
            "/var/lib/kasoku must be on a volume"),
        broken("no default deny", r -> remove(r, "NetworkPolicy", "kasoku-default-deny"),
            "there must be a default deny of ingress"),
        broken("Hazelcast open to the world", r -> add(r, """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: open-hazelcast}
            spec:
              podSelector: {matchLabels: {app.kubernetes.io/name: kasoku}}
              ingress:
                - from: [{ipBlock: {cidr: 0.0.0.0/0}}]
                  ports: [{port: 5701}]
            """), "port 5701 (hazelcast) must be reachable from Kasoku pods only"),
        broken("the event bus open to another namespace", r -> add(r, """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: bus-from-monitoring}
            spec:
              podSelector: {}
              ingress:
                - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]
                  ports: [{port: eventbus}]
            """), "port 5710 (eventbus) must be reachable from Kasoku pods only"),
        broken("every port open to a namespace", r -> add(r, """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: all-from-public}
            spec:
              podSelector: {matchLabels: {app.kubernetes.io/component: auth}}
              ingress:
                - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-public}}}]
            """), "Deployment/kasoku-auth container kasoku: port 8081 (api) must be reachable only from the management",
            "Deployment/kasoku-auth container kasoku: port 5701 (hazelcast) must be reachable from Kasoku pods only"),
        broken("the API reachable from every pod", r -> add(r, """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: api-from-pods}
            spec:
              podSelector: {}
              ingress:
                - from: [{podSelector: {}}]
                  ports: [{port: 8081}]
            """), "port 8081 (api) must be reachable only from the management ingress controller"),
        broken("customer HTTP through the management controller", r -> {
          ObjectNode from = (ObjectNode) object(r, "NetworkPolicy", "kasoku-edge-public").path("spec").path("ingress")
              .get(0).path("from").get(0).path("namespaceSelector").path("matchLabels");
          from.put("kubernetes.io/metadata.name", "ingress-management");
        }, "port 8080 (http) must be reachable only from the public ingress controller"),
        broken("a port with no known purpose", r -> ((ArrayNode) edge(r).get("ports")).addObject()
            .put("name", "debug").put("containerPort", 5005), "port 5005 (debug) has no known purpose"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("violations")
  void aBrokenRuleIsReportedByName(String what, Consumer<Rendering> breakIt, List<String> expected) {
    Rendering prod = Kustomizations.get("overlays/prod");
    assertThat(Rules.check(prod)).as("the production overlay as it is").isEmpty();
    Rendering broken = prod.copy();
    breakIt.accept(broken);
    List<String> violations = Rules.check(broken);
    for (String e : expected) {
      assertThat(violations).as("%s", what).anySatisfy(v -> assertThat(v).contains(e));
    }
  }

  private static Arguments broken(String what, Consumer<Rendering> breakIt, String... expected) {
    return Arguments.of(what, breakIt, List.of(expected));
  }

  static ObjectNode object(Rendering r, String kind, String name) {
    return r.object(kind, name).orElseThrow(() -> new AssertionError("no " + kind + " " + name));
  }

  static ObjectNode pod(Rendering r, String workload) {
    return r.objects().stream().filter(o -> o.path("metadata").path("name").asText().equals(workload))
        .filter(o -> Kustomize.podSpec(o) != null).map(o -> (ObjectNode) Kustomize.podSpec(o)).findFirst().orElseThrow();
  }

  static ObjectNode container(Rendering r, String workload) {
    return (ObjectNode) pod(r, workload).path("containers").get(0);
  }

  static ObjectNode edge(Rendering r) {
    return container(r, "kasoku-edge");
  }

  static ObjectNode config(Rendering r) {
    return (ObjectNode) object(r, "ConfigMap", "kasoku-config").get("data");
  }

  static void env(Rendering r, String workload, String name, String value) {
    ArrayNode env = (ArrayNode) container(r, workload).get("env");
    List<Integer> same = new ArrayList<>();
    for (int i = 0; i < env.size(); i++) {
      if (env.get(i).path("name").asText().equals(name)) {
        same.add(i);
      }
    }
    same.forEach(i -> env.remove((int) i));
    env.addObject().put("name", name).put("value", value);
  }

  static void envFrom(Rendering r, String workload, String name, String fieldPath) {
    ArrayNode env = (ArrayNode) container(r, workload).get("env");
    for (var e : env) {
      if (e.path("name").asText().equals(name)) {
        ((ObjectNode) e.path("valueFrom").path("fieldRef")).put("fieldPath", fieldPath);
      }
    }
  }

  static void add(Rendering r, String yaml) {
    r.objects().addAll(Kustomize.parseAll(yaml));
  }

  static void remove(Rendering r, String kind, String name) {
    boolean removed = r.objects().removeIf(o -> o.path("kind").asText().equals(kind)
        && o.path("metadata").path("name").asText().equals(name));
    assertThat(removed).as("%s %s was there to remove", kind, name).isTrue();
  }
}
