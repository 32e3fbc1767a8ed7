package dev.kasoku.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kasoku.common.config.ConfigLoader;
import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.config.ServiceRole;
import dev.kasoku.common.config.Sizes;
import dev.kasoku.deploy.Model.Container;
import dev.kasoku.deploy.Model.ContainerPort;
import dev.kasoku.deploy.Model.EnvFrom;
import dev.kasoku.deploy.Model.EnvVar;
import dev.kasoku.deploy.Model.NetworkPolicy;
import dev.kasoku.deploy.Model.Peer;
import dev.kasoku.deploy.Model.PodSpec;
import dev.kasoku.deploy.Model.PolicyRule;
import dev.kasoku.deploy.Model.Probe;
import dev.kasoku.deploy.Model.SecurityContext;
import dev.kasoku.deploy.Model.Service;
import dev.kasoku.deploy.Model.Workload;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The rules every workload of deploy/k8s follows, as one function from a rendering to the list of
 * what breaks them (empty: all good). Each message names the object, the container and the rule, so
 * a CI failure says what to fix.
 *
 * <p>For every pod: no service-account token, non-root, seccomp RuntimeDefault, no host namespaces
 * or host paths, Service links off; for every container: no privilege escalation, read-only root
 * filesystem, all capabilities dropped and none added, CPU and memory requests and limits (requests
 * not above limits), liveness and readiness probes on long-running workloads.
 *
 * <p>For every Kasoku container (pods labelled {@code app.kubernetes.io/name: kasoku}): a known role
 * in KASOKU_SERVICES and only known KASOKU_* keys (what a process would refuse at start), secrets
 * only from a Secret, probes on /healthz (startup, liveness) and /readyz (readiness) on the API port,
 * a preStop pause and a grace period longer than the pause plus KASOKU_SHUTDOWN_GRACE plus
 * {@value #SHUTDOWN_REST_SECONDS} s, the clustering settings (pod IP as cluster host, a fixed event-bus
 * port, discovery through a headless Service that publishes not-ready pods), writable /tmp and data
 * directory on volumes, JVM options that fit the memory limit, one-pod-at-a-time rollouts and a
 * PodDisruptionBudget. The edge also needs an autoscaler and spreading over nodes and zones; logging
 * a StatefulSet with its log directory on a claimed volume.
 *
 * <p>Network: a default-deny policy; cluster ports (Hazelcast, event bus, peer) and Redis open to
 * Kasoku pods only; the API port only to the management ingress controller's namespace; the edge's
 * HTTP port only to the public one's.
 */
final class Rules {
  static final String KASOKU = "kasoku";
  static final String NAME_LABEL = "app.kubernetes.io/name";
  static final String MANAGEMENT_NAMESPACE = "ingress-management";
  static final String PUBLIC_NAMESPACE = "ingress-public";
  /** Time the shutdown needs after the grace: leaving the cluster (5 s bound), closing the store. */
  static final int SHUTDOWN_REST_SECONDS = 10;
  /** Memory the JVM needs besides heap and direct memory: metaspace, code cache, threads, GC. */
  static final long NON_HEAP_RESERVE = 256L << 20;
  /** Direct memory the edge needs besides cached bodies: I/O buffers of connections in flight. */
  static final long EDGE_IO_RESERVE = 64L << 20;
  /** Keys that hold secrets: never in a ConfigMap or a literal env value. */
  static final Set<String> SECRET_KEYS = Set.of("KASOKU_SECRET_KEY", "KASOKU_BOOTSTRAP_TOKEN", "KASOKU_REDIS_URL",
      "KASOKU_METRICS_TOKEN");
  private static final Set<String> BATCH_KINDS = Set.of("Job", "CronJob");
  private static final Pattern RAM_PERCENT = Pattern.compile("-XX:MaxRAMPercentage=(\\d+(?:\\.\\d+)?)");
  private static final Pattern XMX = Pattern.compile("-Xmx(\\S+)");
  private static final Pattern MAX_DIRECT = Pattern.compile("-XX:MaxDirectMemorySize=(\\S+)");

  private final Rendering r;
  private final List<String> violations = new ArrayList<>();

  private Rules(Rendering r) {
    this.r = r;
  }

  static List<String> check(Rendering r) {
    Rules rules = new Rules(r);
    rules.run();
    return rules.violations;
  }

  private void run() {
    for (Workload w : r.workloads()) {
      pod(w);
      for (Container c : w.pod().allContainers()) {
        container(w, c);
        if (isKasoku(w)) {
          kasoku(w, c);
        }
      }
      if (isKasoku(w)) {
        kasokuWorkload(w);
      }
    }
    configAndSecrets();
    network();
  }

  private void fail(Workload w, Container c, String message) {
    violations.add(w.kind() + "/" + w.name() + (c == null ? "" : " container " + c.name()) + ": " + message);
  }

  static boolean isKasoku(Workload w) {
    return KASOKU.equals(w.podLabels().get(NAME_LABEL));
  }

  // --- every pod and container

  private void pod(Workload w) {
    PodSpec p = w.pod();
    if (!Boolean.FALSE.equals(p.automountServiceAccountToken())) {
      fail(w, null, "automountServiceAccountToken must be false (no role calls the Kubernetes API)");
    }
    if (p.securityContext() == null || !Boolean.TRUE.equals(p.securityContext().runAsNonRoot())) {
      fail(w, null, "pod securityContext.runAsNonRoot must be true");
    } else if (Long.valueOf(0).equals(p.securityContext().runAsUser())) {
      fail(w, null, "pod securityContext.runAsUser must not be 0");
    }
    boolean podSeccomp = p.securityContext() != null && p.securityContext().seccompProfile() != null
        && "RuntimeDefault".equals(p.securityContext().seccompProfile().type());
    for (Container c : p.allContainers()) {
      SecurityContext sc = c.securityContext();
      boolean own = sc != null && sc.seccompProfile() != null;
      if (own ? !"RuntimeDefault".equals(sc.seccompProfile().type()) : !podSeccomp) {
        fail(w, c, "seccompProfile must be RuntimeDefault");
      }
    }
    if (Boolean.TRUE.equals(p.hostNetwork()) || Boolean.TRUE.equals(p.hostPID()) || Boolean.TRUE.equals(p.hostIPC())) {
      fail(w, null, "must not use the host's network, PID or IPC namespace");
    }
    for (Model.Volume v : Model.list(p.volumes())) {
      if (v.hostPath() != null) {
        fail(w, null, "volume " + v.name() + " is a hostPath");
      }
    }
    if (!Boolean.FALSE.equals(p.enableServiceLinks())) {
      fail(w, null, "enableServiceLinks must be false (Service links inject KASOKU_<SERVICE>_PORT=tcp://...,"
          + " which a Kasoku process refuses as an unknown key)");
    }
  }

  private void container(Workload w, Container c) {
    SecurityContext sc = c.securityContext();
    if (sc == null) {
      fail(w, c, "has no securityContext");
    } else {
      securityContext(w, c, sc);
    }
    resources(w, c);
    if (!BATCH_KINDS.contains(w.kind())) {
      if (!hasHandler(c.livenessProbe())) {
        fail(w, c, "has no livenessProbe");
      }
      if (!hasHandler(c.readinessProbe())) {
        fail(w, c, "has no readinessProbe");
      }
    }
  }

  private void securityContext(Workload w, Container c, SecurityContext sc) {
    if (!Boolean.FALSE.equals(sc.allowPrivilegeEscalation())) {
      fail(w, c, "allowPrivilegeEscalation must be false");
    }
    if (!Boolean.TRUE.equals(sc.readOnlyRootFilesystem())) {
      fail(w, c, "readOnlyRootFilesystem must be true");
    }
    if (Boolean.TRUE.equals(sc.privileged())) {
      fail(w, c, "must not be privileged");
    }
    if (Long.valueOf(0).equals(sc.runAsUser()) || Boolean.FALSE.equals(sc.runAsNonRoot())) {
      fail(w, c, "must not run as root");
    }
    if (sc.capabilities() == null || !Model.list(sc.capabilities().drop()).contains("ALL")) {
      fail(w, c, "capabilities.drop must contain ALL");
    }
    if (sc.capabilities() != null && !Model.list(sc.capabilities().add()).isEmpty()) {
      fail(w, c, "must add no capability, has " + sc.capabilities().add());
    }
  }

  private void resources(Workload w, Container c) {
    Map<String, String> requests = c.resources() == null ? Map.of() : Model.map(c.resources().requests());
    Map<String, String> limits = c.resources() == null ? Map.of() : Model.map(c.resources().limits());
    for (String resource : List.of("cpu", "memory")) {
      String request = requests.get(resource);
      String limit = limits.get(resource);
      if (request == null) {
        fail(w, c, "has no " + resource + " request");
      }
      if (limit == null) {
        fail(w, c, "has no " + resource + " limit");
      }
      if (request != null && limit != null) {
        double req = resource.equals("cpu") ? Quantities.cpu(request) : Quantities.bytes(request);
        double lim = resource.equals("cpu") ? Quantities.cpu(limit) : Quantities.bytes(limit);
        if (req > lim) {
          fail(w, c, resource + " request " + request + " is above its limit " + limit);
        }
      }
    }
  }

  private static boolean hasHandler(Probe p) {
    return p != null && (p.httpGet() != null || p.tcpSocket() != null || p.exec() != null || p.grpc() != null);
  }

  // --- Kasoku containers

  /** The KASOKU_* environment a container gets: its ConfigMaps' keys, its Secrets' keys, its env. */
  private Map<String, String> environment(Container c) {
    Map<String, String> env = new LinkedHashMap<>();
    for (EnvFrom from : Model.list(c.envFrom())) {
      if (from.configMapRef() != null) {
        r.configMap(from.configMapRef().name()).ifPresent(cm -> env.putAll(Model.map(cm.data())));
      }
      if (from.secretRef() != null) {
        r.secret(from.secretRef().name()).ifPresent(s -> {
          Model.map(s.stringData()).keySet().forEach(k -> env.put(k, "<secret>"));
          Model.map(s.data()).keySet().forEach(k -> env.put(k, "<secret>"));
        });
      }
    }
    for (EnvVar e : c.envs()) {
      env.put(e.name(), e.value() != null ? e.value() : "<valueFrom>");
    }
    return env;
  }

  private void kasoku(Workload w, Container c) {
    Map<String, String> env = environment(c);
    Set<String> known = new java.util.HashSet<>(ConfigLoader.KEYS);
    known.remove("KASOKU_TEST_REDIS_URL");
    known.addAll(r.pendingKeys());
    for (String key : env.keySet()) {
      if (key.startsWith("KASOKU_") && !known.contains(key)) {
        fail(w, c, key + " is not a setting this release knows (the process would exit 2)");
      }
    }
    for (EnvVar e : c.envs()) {
      if (SECRET_KEYS.contains(e.name()) && e.value() != null) {
        fail(w, c, e.name() + " is a secret: take it from a Secret, not a literal");
      }
    }
    String services = env.get("KASOKU_SERVICES");
    if (services == null || services.isBlank() || services.trim().equals("all")) {
      fail(w, c, "KASOKU_SERVICES must name this workload's role(s)");
    } else {
      for (String role : services.split(",")) {
        if (ServiceRole.byId(role).isEmpty() && !r.pendingRoles().contains(role.trim())) {
          fail(w, c, "KASOKU_SERVICES names '" + role.trim() + "', a role this release does not have");
        }
      }
    }
    clusterSettings(w, c, env);
    probes(w, c, env);
    shutdown(w, c, env);
    writablePaths(w, c, env);
    jvm(w, c, env);
  }

  private Optional<Integer> portNumber(Container c, JsonNode port) {
    if (port == null) {
      return Optional.empty();
    }
    if (port.isInt()) {
      return Optional.of(port.asInt());
    }
    return c.portList().stream().filter(p -> port.asText().equals(p.name())).map(ContainerPort::containerPort).findFirst();
  }

  private static int intSetting(Map<String, String> env, String key, int def) {
    String v = env.get(key);
    return v == null || v.startsWith("<") ? def : Integer.parseInt(v.trim());
  }

  private void clusterSettings(Workload w, Container c, Map<String, String> env) {
    if (!"true".equals(env.get("KASOKU_CLUSTER"))) {
      fail(w, c, "KASOKU_CLUSTER must be true: roles in separate pods meet on the clustered event bus");
      return;
    }
    Optional<EnvVar> host = c.envs().stream().filter(e -> e.name().equals("KASOKU_CLUSTER_HOST")).findFirst();
    if (host.isEmpty() || host.get().valueFrom() == null || host.get().valueFrom().fieldRef() == null
        || !"status.podIP".equals(host.get().valueFrom().fieldRef().fieldPath())) {
      fail(w, c, "KASOKU_CLUSTER_HOST must be the pod IP (valueFrom.fieldRef status.podIP)");
    }
    int clusterPort = intSetting(env, "KASOKU_CLUSTER_PORT", KasokuConfig.ClusterSettings.DEFAULT_PORT);
    int busPort = intSetting(env, "KASOKU_EVENTBUS_PORT", 0);
    if (busPort == 0) {
      fail(w, c, "KASOKU_EVENTBUS_PORT must be fixed (a random port cannot be allowed by a NetworkPolicy)");
    }
    for (int port : List.of(clusterPort, busPort)) {
      if (c.portList().stream().noneMatch(p -> p.containerPort() == port)) {
        fail(w, c, "declares no containerPort " + port + " (cluster)");
      }
    }
    String dns = env.get("KASOKU_K8S_SERVICE_DNS");
    if (dns == null) {
      fail(w, c, "KASOKU_K8S_SERVICE_DNS must name the headless Service (Kubernetes DNS discovery)");
      return;
    }
    String serviceName = dns.split("\\.")[0];
    Optional<Service> svc = r.services().stream().filter(s -> s.name().equals(serviceName)).findFirst();
    if (svc.isEmpty()) {
      fail(w, c, "KASOKU_K8S_SERVICE_DNS names " + dns + ", but there is no Service " + serviceName);
      return;
    }
    Model.ServiceSpec spec = svc.get().spec();
    if (!"None".equals(spec.clusterIP())) {
      fail(w, c, "Service " + serviceName + " must be headless (clusterIP: None) for DNS discovery");
    }
    if (!Boolean.TRUE.equals(spec.publishNotReadyAddresses())) {
      fail(w, c, "Service " + serviceName + " must publish not-ready addresses: readiness waits for the cluster");
    }
    if (!new Model.LabelSelector(spec.selector()).selects(w.podLabels()) || Model.map(spec.selector()).isEmpty()) {
      fail(w, c, "Service " + serviceName + " does not select this pod");
    }
    for (int port : List.of(clusterPort, busPort)) {
      if (Model.list(spec.ports()).stream().noneMatch(p -> p.port() == port)) {
        fail(w, c, "Service " + serviceName + " has no port " + port);
      }
    }
  }

  private void probes(Workload w, Container c, Map<String, String> env) {
    int api = intSetting(env, "KASOKU_API_PORT", KasokuConfig.DEFAULT_API_PORT);
    probe(w, c, "startupProbe", c.startupProbe(), "/healthz", api);
    probe(w, c, "livenessProbe", c.livenessProbe(), "/healthz", api);
    probe(w, c, "readinessProbe", c.readinessProbe(), "/readyz", api);
  }

  private void probe(Workload w, Container c, String which, Probe p, String path, int apiPort) {
    if (p == null || p.httpGet() == null) {
      fail(w, c, which + " must be an HTTP GET of " + path);
      return;
    }
    if (!path.equals(p.httpGet().path())) {
      fail(w, c, which + " must GET " + path + ", not " + p.httpGet().path());
    }
    Optional<Integer> port = portNumber(c, p.httpGet().port());
    if (port.isEmpty() || port.get() != apiPort) {
      fail(w, c, which + " must use the API port " + apiPort + ", not " + p.httpGet().port());
    }
  }

  private void shutdown(Workload w, Container c, Map<String, String> env) {
    long preStop = -1;
    if (c.lifecycle() != null && c.lifecycle().preStop() != null) {
      Model.Handler h = c.lifecycle().preStop();
      if (h.sleep() != null && h.sleep().seconds() != null) {
        preStop = h.sleep().seconds();
      } else if (h.exec() != null && Model.list(h.exec().command()).size() == 2
          && h.exec().command().get(0).endsWith("sleep")) {
        preStop = Long.parseLong(h.exec().command().get(1));
      }
    }
    if (preStop < 1) {
      fail(w, c, "needs a preStop sleep so that endpoints are removed before the listener stops accepting");
      preStop = 0;
    }
    String graceText = env.getOrDefault("KASOKU_SHUTDOWN_GRACE", "");
    Duration grace = graceText.isEmpty() ? KasokuConfig.DEFAULT_SHUTDOWN_GRACE : Sizes.parseDuration(graceText);
    long period = w.pod().terminationGracePeriodSeconds() == null ? 30 : w.pod().terminationGracePeriodSeconds();
    long needed = preStop + grace.toSeconds() + SHUTDOWN_REST_SECONDS;
    if (period < needed) {
      fail(w, c, "terminationGracePeriodSeconds " + period + " is shorter than preStop " + preStop
          + " s + KASOKU_SHUTDOWN_GRACE " + grace.toSeconds() + " s + " + SHUTDOWN_REST_SECONDS + " s");
    }
  }

  private void writablePaths(Workload w, Container c, Map<String, String> env) {
    String data = env.getOrDefault("KASOKU_DATA_DIR", KasokuConfig.DEFAULT_DATA_DIR);
    for (String path : List.of("/tmp", data)) {
      if (c.mounts().stream().noneMatch(m -> under(path, m.mountPath()))) {
        fail(w, c, path + " must be on a volume (the root filesystem is read-only)");
      }
    }
    if (!data.startsWith("/")) {
      fail(w, c, "KASOKU_DATA_DIR must be absolute, is " + data);
    }
  }

  static boolean under(String path, String mount) {
    return path.equals(mount) || path.startsWith(mount.endsWith("/") ? mount : mount + "/");
  }

  private void jvm(Workload w, Container c, Map<String, String> env) {
    String opts = env.get("JDK_JAVA_OPTIONS");
    if (opts == null) {
      fail(w, c, "JDK_JAVA_OPTIONS must set the heap from the memory limit and the collector");
      return;
    }
    if (!opts.contains("-XX:+ExitOnOutOfMemoryError")) {
      fail(w, c, "JDK_JAVA_OPTIONS must contain -XX:+ExitOnOutOfMemoryError (let Kubernetes restart it)");
    }
    if (!opts.matches(".*-XX:\\+Use(G1|Z|Parallel|Shenandoah)GC.*")) {
      fail(w, c, "JDK_JAVA_OPTIONS must choose the collector (the JVM would pick Serial under 2 CPUs or 1792 MB)");
    }
    String limitText = c.resources() == null ? null : Model.map(c.resources().limits()).get("memory");
    if (limitText == null) {
      return;
    }
    long limit = (long) Quantities.bytes(limitText);
    String requestText = Model.map(c.resources().requests()).get("memory");
    if (requestText != null && (long) Quantities.bytes(requestText) != limit) {
      fail(w, c, "memory request must equal the limit: the heap is sized from the limit");
    }
    long heap;
    Matcher xmx = XMX.matcher(opts);
    Matcher pct = RAM_PERCENT.matcher(opts);
    if (xmx.find()) {
      heap = Sizes.parseBytes(xmx.group(1));
    } else if (pct.find()) {
      heap = (long) (limit * Double.parseDouble(pct.group(1)) / 100);
    } else {
      fail(w, c, "JDK_JAVA_OPTIONS must size the heap (-XX:MaxRAMPercentage)");
      return;
    }
    Matcher direct = MAX_DIRECT.matcher(opts);
    long directMax = direct.find() ? Sizes.parseBytes(direct.group(1)) : heap;
    if (heap + directMax + NON_HEAP_RESERVE > limit) {
      fail(w, c, "heap " + mib(heap) + " + direct memory " + mib(directMax) + " + " + mib(NON_HEAP_RESERVE)
          + " for the rest of the JVM exceed the memory limit " + limitText);
    }
    String services = env.getOrDefault("KASOKU_SERVICES", "");
    if (List.of(services.split(",")).contains(ServiceRole.CACHE_EDGE.id())) {
      String budgetText = env.getOrDefault("KASOKU_EDGE_MEMORY", KasokuConfig.DEFAULT_EDGE_MEMORY_PERCENT + "%");
      long budget = budgetText.endsWith("%")
          ? (long) (heap * Double.parseDouble(budgetText.substring(0, budgetText.length() - 1)) / 100)
          : Sizes.parseBytes(budgetText);
      if (budget + EDGE_IO_RESERVE > directMax) {
        fail(w, c, "the edge cache budget " + mib(budget) + " + " + mib(EDGE_IO_RESERVE)
            + " of I/O buffers exceed the direct memory " + mib(directMax) + " (cached bodies live there)");
      }
    }
  }

  private static String mib(long bytes) {
    return (bytes >> 20) + " MiB";
  }

  private void kasokuWorkload(Workload w) {
    List<String> roles = roles(w);
    switch (w.kind()) {
      case "Deployment" -> {
        Model.Strategy s = w.spec().strategy();
        if (s == null || !"RollingUpdate".equals(s.type()) || s.rollingUpdate() == null
            || !"0".equals(text(s.rollingUpdate().maxUnavailable())) || !"1".equals(text(s.rollingUpdate().maxSurge()))) {
          fail(w, null, "must roll one pod at a time: RollingUpdate with maxSurge 1 and maxUnavailable 0");
        }
      }
      case "StatefulSet" -> {
        Model.Strategy s = w.spec().updateStrategy();
        if (s != null && s.type() != null && !"RollingUpdate".equals(s.type())) {
          fail(w, null, "updateStrategy must be RollingUpdate");
        }
        if (s != null && s.rollingUpdate() != null && s.rollingUpdate().maxUnavailable() != null
            && !"1".equals(text(s.rollingUpdate().maxUnavailable()))) {
          fail(w, null, "must roll one pod at a time (maxUnavailable 1)");
        }
      }
      default -> fail(w, null, "a Kasoku role runs as a Deployment (or logging as a StatefulSet), not a " + w.kind());
    }
    boolean budgeted = r.disruptionBudgets().stream().anyMatch(p -> p.spec().selector() != null
        && !Model.map(p.spec().selector().matchLabels()).isEmpty()
        && p.spec().selector().selects(w.podLabels()) && "1".equals(text(p.spec().maxUnavailable())));
    if (!budgeted) {
      fail(w, null, "needs a PodDisruptionBudget with maxUnavailable 1 selecting its pods");
    }
    if (roles.contains(ServiceRole.CACHE_EDGE.id())) {
      edge(w);
    }
    if (roles.contains(ServiceRole.LOGGING.id())) {
      logging(w);
    }
  }

  private List<String> roles(Workload w) {
    for (Container c : w.pod().containers()) {
      String services = environment(c).get("KASOKU_SERVICES");
      if (services != null) {
        return List.of(services.split(",")).stream().map(String::trim).toList();
      }
    }
    return List.of();
  }

  private void edge(Workload w) {
    if (!w.kind().equals("Deployment")) {
      fail(w, null, "the edge must be a Deployment (scaled by its autoscaler)");
    }
    boolean scaled = r.autoscalers().stream().anyMatch(h -> h.spec().scaleTargetRef() != null
        && w.kind().equals(h.spec().scaleTargetRef().kind()) && w.name().equals(h.spec().scaleTargetRef().name()));
    if (!scaled) {
      fail(w, null, "the edge needs a HorizontalPodAutoscaler");
    } else if (w.spec().replicas() != null) {
      fail(w, null, "the autoscaler owns the edge's replicas: leave replicas out (an apply would reset them)");
    }
    for (String key : List.of("kubernetes.io/hostname", "topology.kubernetes.io/zone")) {
      boolean spread = Model.list(w.pod().topologySpreadConstraints()).stream().anyMatch(t -> key.equals(t.topologyKey())
          && t.labelSelector() != null && t.labelSelector().selects(w.podLabels())
          && !Model.map(t.labelSelector().matchLabels()).isEmpty());
      if (!spread) {
        fail(w, null, "the edge must be spread over " + key + " (topologySpreadConstraints selecting its pods)");
      }
    }
  }

  private void logging(Workload w) {
    if (!w.kind().equals("StatefulSet")) {
      fail(w, null, "logging must be a StatefulSet: each instance keeps its logs on its own volume");
      return;
    }
    for (Container c : w.pod().containers()) {
      Map<String, String> env = environment(c);
      String data = env.getOrDefault("KASOKU_DATA_DIR", KasokuConfig.DEFAULT_DATA_DIR);
      String logDir = env.getOrDefault("KASOKU_LOG_DIR", data + "/logs");
      Set<String> claims = new java.util.HashSet<>();
      w.spec().claims().forEach(t -> claims.add(t.metadata().name()));
      boolean onClaim = c.mounts().stream().anyMatch(m -> claims.contains(m.name()) && under(logDir, m.mountPath()));
      if (!onClaim) {
        fail(w, c, "KASOKU_LOG_DIR " + logDir + " must be on a volume claimed per instance (volumeClaimTemplates)");
      }
    }
  }

  private static String text(JsonNode n) {
    return n == null ? null : n.asText();
  }

  // --- configuration objects

  private void configAndSecrets() {
    for (var o : r.ofKind("ConfigMap")) {
      Model.ConfigMap cm = Model.bind(o, Model.ConfigMap.class);
      for (String key : Model.map(cm.data()).keySet()) {
        if (SECRET_KEYS.contains(key)) {
          violations.add("ConfigMap/" + cm.metadata().name() + ": " + key + " is a secret and belongs in a Secret");
        }
      }
    }
    for (Model.Secret s : r.secrets()) {
      Map<String, String> values = new LinkedHashMap<>(Model.map(s.stringData()));
      Model.map(s.data()).forEach((k, v) -> values.put(k, new String(java.util.Base64.getDecoder().decode(v),
          java.nio.charset.StandardCharsets.UTF_8)));
      if (!r.name().equals("overlays/dev")) {
        violations.add("Secret/" + s.metadata().name() + ": only the dev overlay may carry a Secret (with"
            + " placeholders); everywhere else the operator creates it");
      }
      values.forEach((k, v) -> {
        boolean placeholder = v.contains("not-a-secret") || (v.startsWith("redis://") && !v.contains("@"));
        if (!placeholder) {
          violations.add("Secret/" + s.metadata().name() + ": " + k + " looks like a real secret;"
              + " committed values must say not-a-secret");
        }
      });
    }
  }

  // --- network policies

  private void network() {
    List<NetworkPolicy> policies = r.networkPolicies();
    boolean defaultDeny = policies.stream().anyMatch(p -> p.spec().podSelector() != null
        && Model.map(p.spec().podSelector().matchLabels()).isEmpty()
        && Model.list(p.spec().policyTypes()).contains("Ingress") && Model.list(p.spec().ingress()).isEmpty());
    if (!defaultDeny) {
      violations.add("NetworkPolicy: there must be a default deny of ingress for every pod (podSelector: {})");
    }
    for (Workload w : r.workloads()) {
      for (Container c : w.pod().containers()) {
        for (ContainerPort port : c.portList()) {
          String kind = portKind(w, port);
          List<Peer> peers = new ArrayList<>();
          boolean open = false;
          for (NetworkPolicy p : policies) {
            if (p.spec().podSelector() == null || !p.spec().podSelector().selects(w.podLabels())) {
              continue;
            }
            for (PolicyRule rule : Model.list(p.spec().ingress())) {
              boolean coversPort = Model.list(rule.ports()).isEmpty() || Model.list(rule.ports()).stream()
                  .anyMatch(pp -> portNumber(c, pp.port()).map(n -> n.equals(port.containerPort())).orElse(false));
              if (coversPort) {
                if (Model.list(rule.from()).isEmpty()) {
                  open = true;
                }
                peers.addAll(Model.list(rule.from()));
              }
            }
          }
          checkPeers(w, c, port, kind, peers, open);
        }
      }
    }
  }

  private static String portKind(Workload w, ContainerPort port) {
    String name = port.name() == null ? "" : port.name();
    return switch (name) {
      case "hazelcast", "eventbus", "peer", "redis" -> "cluster";
      case "api" -> "api";
      case "http" -> "customer-http";
      case "https" -> "customer-https";
      default -> "unknown";
    };
  }

  private void checkPeers(Workload w, Container c, ContainerPort port, String kind, List<Peer> peers, boolean open) {
    String what = "port " + port.containerPort() + " (" + port.name() + ")";
    switch (kind) {
      case "cluster" -> {
        if (open || peers.stream().anyMatch(p -> p.ipBlock() != null || p.namespaceSelector() != null
            || p.podSelector() == null || !KASOKU.equals(Model.map(p.podSelector().matchLabels()).get(NAME_LABEL)))) {
          fail(w, c, what + " must be reachable from Kasoku pods only");
        }
      }
      case "api" -> requireNamespaceOnly(w, c, what, peers, open, MANAGEMENT_NAMESPACE, "the management ingress controller");
      case "customer-http" -> requireNamespaceOnly(w, c, what, peers, open, PUBLIC_NAMESPACE, "the public ingress controller");
      case "customer-https" -> {
        if (!ServiceRole.CACHE_EDGE.id().equals(w.podLabels().get("app.kubernetes.io/component"))) {
          fail(w, c, what + " is customer traffic and belongs to the edge only");
        }
      }
      default -> fail(w, c, what + " has no known purpose: name it hazelcast, eventbus, peer, redis, api, http or https");
    }
  }

  private void requireNamespaceOnly(Workload w, Container c, String what, List<Peer> peers, boolean open,
                                    String namespace, String who) {
    boolean ok = !open && !peers.isEmpty() && peers.stream().allMatch(p -> p.ipBlock() == null && p.podSelector() == null
        && p.namespaceSelector() != null
        && namespace.equals(Model.map(p.namespaceSelector().matchLabels()).get("kubernetes.io/metadata.name")));
    if (!ok) {
      fail(w, c, what + " must be reachable only from " + who + " (namespace " + namespace + ")");
    }
  }
}
