package dev.kasoku.deploy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The part of the Kubernetes object model the deployment rules read, as records bound from the
 * rendered YAML (fields the rules do not read are ignored). Absent fields are null, absent lists and
 * maps are empty (the accessors with a plural name never return null).
 */
final class Model {
  private static final ObjectMapper MAPPER = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private Model() {}

  static <T> T bind(JsonNode node, Class<T> type) {
    try {
      return MAPPER.treeToValue(node, type);
    } catch (Exception e) {
      throw new IllegalStateException("cannot read " + node.path("kind").asText() + " "
          + node.path("metadata").path("name").asText() + " as " + type.getSimpleName() + ": " + e.getMessage(), e);
    }
  }

  static <T> List<T> list(List<T> l) {
    return l == null ? List.of() : l;
  }

  static <K, V> Map<K, V> map(Map<K, V> m) {
    return m == null ? Map.of() : m;
  }

  record Meta(String name, String namespace, Map<String, String> labels, Map<String, String> annotations) {
    Map<String, String> labelsOrEmpty() {
      return map(labels);
    }
  }

  /** Any object: what every kind has. */
  record Obj(String apiVersion, String kind, Meta metadata) {
    String name() {
      return metadata == null ? null : metadata.name();
    }
  }

  record LabelSelector(Map<String, String> matchLabels) {
    /** A selector with no labels selects everything (NetworkPolicy podSelector: {}). */
    boolean selects(Map<String, String> labels) {
      return map(matchLabels).entrySet().stream().allMatch(e -> Objects.equals(labels.get(e.getKey()), e.getValue()));
    }
  }

  // --- workloads

  record PodTemplate(Meta metadata, PodSpec spec) {}

  record RollingUpdate(JsonNode maxSurge, JsonNode maxUnavailable, Integer partition) {}

  record Strategy(String type, RollingUpdate rollingUpdate) {}

  record WorkloadSpec(Integer replicas, LabelSelector selector, Strategy strategy, Strategy updateStrategy,
                      String serviceName, Integer minReadySeconds, PodTemplate template,
                      List<ClaimTemplate> volumeClaimTemplates) {
    List<ClaimTemplate> claims() {
      return list(volumeClaimTemplates);
    }
  }

  record ClaimTemplate(Meta metadata) {}

  /** Deployment, StatefulSet, DaemonSet, ReplicaSet, Job: all have spec.template. */
  record Workload(String kind, Meta metadata, WorkloadSpec spec) {
    String name() {
      return metadata.name();
    }

    PodSpec pod() {
      return spec.template().spec();
    }

    Map<String, String> podLabels() {
      Meta m = spec.template().metadata();
      return m == null ? Map.of() : m.labelsOrEmpty();
    }
  }

  record Seccomp(String type) {}

  record PodSecurityContext(Boolean runAsNonRoot, Long runAsUser, Long runAsGroup, Long fsGroup, Seccomp seccompProfile) {}

  record EmptyDir(String sizeLimit, String medium) {}

  record HostPath(String path) {}

  record Volume(String name, EmptyDir emptyDir, HostPath hostPath, JsonNode persistentVolumeClaim) {}

  record Spread(Integer maxSkew, String topologyKey, String whenUnsatisfiable, LabelSelector labelSelector) {}

  record PodSpec(String serviceAccountName, Boolean automountServiceAccountToken, Boolean enableServiceLinks,
                 Long terminationGracePeriodSeconds, Boolean hostNetwork, Boolean hostPID, Boolean hostIPC,
                 PodSecurityContext securityContext, List<Container> containers, List<Container> initContainers,
                 List<Volume> volumes, List<Spread> topologySpreadConstraints) {
    List<Container> allContainers() {
      return java.util.stream.Stream.concat(list(initContainers).stream(), list(containers).stream()).toList();
    }
  }

  record FieldRef(String fieldPath) {}

  record ValueFrom(FieldRef fieldRef, JsonNode secretKeyRef, JsonNode configMapKeyRef) {}

  record EnvVar(String name, String value, ValueFrom valueFrom) {}

  record Ref(String name) {}

  record EnvFrom(Ref configMapRef, Ref secretRef, String prefix) {}

  record ContainerPort(String name, Integer containerPort) {}

  record Resources(Map<String, String> requests, Map<String, String> limits) {}

  record Capabilities(List<String> add, List<String> drop) {}

  record SecurityContext(Boolean runAsNonRoot, Long runAsUser, Boolean allowPrivilegeEscalation,
                         Boolean readOnlyRootFilesystem, Boolean privileged, Capabilities capabilities,
                         Seccomp seccompProfile) {}

  record HttpGet(String path, JsonNode port) {}

  record Exec(List<String> command) {}

  record Sleep(Long seconds) {}

  record Probe(HttpGet httpGet, JsonNode tcpSocket, Exec exec, JsonNode grpc, Integer periodSeconds,
               Integer timeoutSeconds, Integer failureThreshold) {}

  record Handler(Exec exec, Sleep sleep, HttpGet httpGet) {}

  record Lifecycle(Handler preStop) {}

  record VolumeMount(String name, String mountPath, Boolean readOnly) {}

  record Container(String name, String image, List<EnvVar> env, List<EnvFrom> envFrom, List<ContainerPort> ports,
                   Resources resources, SecurityContext securityContext, Probe livenessProbe,
                   Probe readinessProbe, Probe startupProbe, Lifecycle lifecycle, List<VolumeMount> volumeMounts) {
    List<EnvVar> envs() {
      return list(env);
    }

    List<ContainerPort> portList() {
      return list(ports);
    }

    List<VolumeMount> mounts() {
      return list(volumeMounts);
    }
  }

  // --- the rest

  record ServicePort(String name, Integer port, JsonNode targetPort) {}

  record ServiceSpec(String type, String clusterIP, Boolean publishNotReadyAddresses, Map<String, String> selector,
                     List<ServicePort> ports, String externalTrafficPolicy) {}

  record Service(Meta metadata, ServiceSpec spec) {
    String name() {
      return metadata.name();
    }
  }

  record BackendPort(String name, Integer number) {}

  record BackendService(String name, BackendPort port) {}

  record Backend(BackendService service) {}

  record IngressPath(String path, String pathType, Backend backend) {}

  record IngressHttp(List<IngressPath> paths) {}

  record IngressRule(String host, IngressHttp http) {}

  record IngressSpec(String ingressClassName, Backend defaultBackend, List<IngressRule> rules) {}

  record Ingress(Meta metadata, IngressSpec spec) {
    String name() {
      return metadata.name();
    }
  }

  record IpBlock(String cidr, List<String> except) {}

  record Peer(LabelSelector podSelector, LabelSelector namespaceSelector, IpBlock ipBlock) {}

  record PolicyPort(JsonNode port, String protocol) {}

  record PolicyRule(List<Peer> from, List<PolicyPort> ports) {}

  record NetworkPolicySpec(LabelSelector podSelector, List<String> policyTypes, List<PolicyRule> ingress) {}

  record NetworkPolicy(Meta metadata, NetworkPolicySpec spec) {
    String name() {
      return metadata.name();
    }
  }

  record ScaleTarget(String kind, String name) {}

  record HpaSpec(ScaleTarget scaleTargetRef, Integer minReplicas, Integer maxReplicas, JsonNode metrics) {}

  record Hpa(Meta metadata, HpaSpec spec) {}

  record PdbSpec(JsonNode maxUnavailable, JsonNode minAvailable, LabelSelector selector) {}

  record Pdb(Meta metadata, PdbSpec spec) {}

  record ConfigMap(Meta metadata, Map<String, String> data) {}

  record Secret(Meta metadata, Map<String, String> stringData, Map<String, String> data) {}
}
