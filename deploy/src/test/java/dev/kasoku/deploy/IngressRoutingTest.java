package dev.kasoku.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kasoku.deploy.Model.Ingress;
import dev.kasoku.deploy.Model.IngressPath;
import dev.kasoku.deploy.Model.Service;
import dev.kasoku.deploy.Model.Workload;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The management Ingress sends every path of the API contract (docs/openapi.yaml) to pods that run
 * the role serving it, and nothing else; the public Ingress sends every customer hostname to the
 * edges. Paths are matched as ingress-nginx does with {@code use-regex}: each pattern anchored at the
 * start of the path, case-insensitive.
 *
 * <p>Which role serves an operation is declared here by the operation's tag and cross-checked
 * against the service modules' sources (each attaches its handlers by operationId), so moving an
 * operation to another role, or adding a tag, fails here until the Ingress follows.
 */
class IngressRoutingTest {
  /** Tag of an operation → the role that serves it; "health" is every role's and is not routed. */
  static final Map<String, String> ROLE_OF_TAG = Map.ofEntries(
      Map.entry("tenants", "auth"), Map.entry("auth", "auth"), Map.entry("users", "auth"),
      Map.entry("api-keys", "auth"), Map.entry("ip-allowlist", "auth"),
      Map.entry("sites", "config"), Map.entry("notifications", "config"),
      Map.entry("purge", "purge"),
      Map.entry("logs", "logging"), Map.entry("audit", "logging"),
      Map.entry("stats", "metrics"));
  /** Paths of the public contract that the contract file does not describe yet, with their role. */
  static final Map<String, String> ANNOUNCED = Map.of(
      "/v1/tenants/acme/usage", "metrics",
      "/v1/tenants/acme/audit/verify", "logging",
      "/v1/audit/verify", "logging",
      "/openapi.yaml", "auth");
  static final String API_INGRESS = "kasoku-api";
  static final String EDGE_INGRESS = "kasoku-edge";

  record Operation(String path, String method, String operationId, List<String> tags) {
    /** A concrete request path for the template: every {param} replaced by a plausible value. */
    String sample() {
      return path.replaceAll("\\{[^}]+}", "acme1");
    }
  }

  @SuppressWarnings("unchecked")
  static List<Operation> operations() throws IOException {
    Map<String, Object> doc = new Yaml(new SafeConstructor(new LoaderOptions()))
        .load(Files.readString(Path.of("..", "docs", "openapi.yaml")));
    List<Operation> out = new ArrayList<>();
    ((Map<String, Object>) doc.get("paths")).forEach((path, item) -> ((Map<String, Object>) item).forEach((method, op) -> {
      if (op instanceof Map<?, ?> m && m.containsKey("operationId")) {
        out.add(new Operation(path, method, (String) m.get("operationId"), (List<String>) m.get("tags")));
      }
    }));
    return out;
  }

  static Stream<String> overlaysAndPortal() {
    return Stream.concat(Kustomizations.overlays().stream(), Stream.of("components/portal"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("overlaysAndPortal")
  void everyContractPathReachesPodsRunningItsRole(String name) throws IOException {
    Rendering r = Kustomizations.get(name);
    for (Operation op : operations()) {
      List<String> tags = op.tags();
      assertThat(tags).as("%s has exactly one tag", op.operationId()).hasSize(1);
      if (tags.get(0).equals("health")) {
        assertThat(routes(r, op.sample())).as("%s is not routed (probes reach pods directly)", op.path()).isEmpty();
        continue;
      }
      String role = ROLE_OF_TAG.get(tags.get(0));
      assertThat(role).as("tag '%s' of %s is served by a role declared in ROLE_OF_TAG", tags.get(0), op.operationId())
          .isNotNull();
      assertRoutedTo(r, op.sample(), role);
    }
    ANNOUNCED.forEach((path, role) -> assertRoutedTo(r, path, role));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.kasoku.deploy.ManifestRulesTest#overlays")
  void onlyApiPathsAreRouted(String name) {
    Rendering r = Kustomizations.get(name);
    for (String path : List.of("/healthz", "/readyz", "/metrics", "/", "/v1", "/v1/tenants/acme/unknown",
        "/v1/tenants/acme/sites-x", "/v1/tenants/a/b/users", "/portalx", "/portal-admin/")) {
      assertThat(routes(r, path)).as("%s in %s", path, name).isEmpty();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("overlaysAndPortal")
  void thePortalIsServedUnderPortalByThePortalRole(String name) {
    Rendering r = Kustomizations.get(name);
    assertRoutedTo(r, "/portal/", "portal");
    assertRoutedTo(r, "/portal/assets/app.js", "portal");
    assertRoutedTo(r, "/portal", "portal");
    assertThat(routes(r, "/portalx")).isEmpty();
  }

  @Test
  void operationsAttachedInEachServiceModuleRouteToThatRole() throws IOException {
    Rendering r = Kustomizations.get("overlays/prod");
    Map<String, Operation> byId = new LinkedHashMap<>();
    operations().forEach(op -> byId.put(op.operationId(), op));
    Pattern attach = Pattern.compile("(?:operation\\(|attach\\(\\w+, )\"(\\w+)\"");
    int checked = 0;
    try (Stream<Path> modules = Files.list(Path.of("..", "services"))) {
      for (Path module : modules.filter(Files::isDirectory).toList()) {
        String role = module.getFileName().toString();
        Path src = module.resolve("src/main/java");
        if (!Files.isDirectory(src)) {
          continue;
        }
        try (Stream<Path> files = Files.walk(src)) {
          for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
            Matcher m = attach.matcher(Files.readString(f));
            while (m.find()) {
              Operation op = byId.get(m.group(1));
              if (op != null) {
                assertRoutedTo(r, op.sample(), role);
                checked++;
              }
            }
          }
        }
      }
    }
    assertThat(checked).as("operations found attached in services/*").isGreaterThan(20);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.kasoku.deploy.ManifestRulesTest#overlays")
  void customerHostnamesGoToTheEdgesThroughTheirOwnController(String name) {
    Rendering r = Kustomizations.get(name);
    Ingress api = ingress(r, API_INGRESS);
    Ingress edge = ingress(r, EDGE_INGRESS);
    assertThat(edge.spec().ingressClassName()).as("customer traffic and management on separate controllers")
        .isNotBlank().isNotEqualTo(api.spec().ingressClassName());
    assertThat(api.spec().defaultBackend()).as("unknown hosts never reach the API").isNull();
    assertThat(Model.list(api.spec().rules())).allSatisfy(rule -> assertThat(rule.host()).isNotBlank());
    assertThat(Model.list(edge.spec().rules())).as("every hostname goes to the edges, none is listed").isEmpty();
    Model.BackendService backend = edge.spec().defaultBackend().service();
    assertThat(rolesBehind(r, backend)).containsExactly("cache-edge");
    Service tls = r.services().stream().filter(s -> s.name().equals("kasoku-edge-tls")).findFirst().orElseThrow();
    assertThat(tls.spec().type()).isEqualTo("LoadBalancer");
    assertThat(tls.spec().externalTrafficPolicy()).as("the edge sees the client's address").isEqualTo("Local");
    assertThat(rolesBehind(r, new Model.BackendService(tls.name(), new Model.BackendPort("https", null))))
        .containsExactly("cache-edge");
  }

  private static Ingress ingress(Rendering r, String name) {
    return r.ingresses().stream().filter(i -> i.name().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no Ingress " + name));
  }

  /** Every path of the API Ingress that ingress-nginx would match for this request path. */
  static List<IngressPath> routes(Rendering r, String requestPath) {
    List<IngressPath> out = new ArrayList<>();
    for (Ingress in : r.ingresses()) {
      if (!in.name().equals(API_INGRESS)) {
        continue;
      }
      for (Model.IngressRule rule : Model.list(in.spec().rules())) {
        for (IngressPath p : rule.http().paths()) {
          assertThat(p.pathType()).as("regex paths need ImplementationSpecific").isEqualTo("ImplementationSpecific");
          if (Pattern.compile("^" + p.path(), Pattern.CASE_INSENSITIVE).matcher(requestPath).find()) {
            out.add(p);
          }
        }
      }
    }
    return out;
  }

  private static void assertRoutedTo(Rendering r, String requestPath, String role) {
    List<IngressPath> matches = routes(r, requestPath);
    assertThat(matches).as("Ingress paths matching %s in %s", requestPath, r.name()).hasSize(1);
    assertThat(rolesBehind(r, matches.get(0).backend().service()))
        .as("roles behind the route of %s", requestPath).containsExactly(role);
  }

  /** The roles of the pods a backend reaches (its Service's selector, on a port they declare). */
  static Set<String> rolesBehind(Rendering r, Model.BackendService backend) {
    Service svc = r.services().stream().filter(s -> s.name().equals(backend.name())).findFirst()
        .orElseThrow(() -> new AssertionError("no Service " + backend.name()));
    Model.ServicePort port = Model.list(svc.spec().ports()).stream()
        .filter(p -> backend.port().name() != null ? backend.port().name().equals(p.name()) : backend.port().number().equals(p.port()))
        .findFirst().orElseThrow(() -> new AssertionError("Service " + svc.name() + " has no port " + backend.port()));
    Set<String> roles = new HashSet<>();
    for (Workload w : r.workloads()) {
      if (Model.map(svc.spec().selector()).isEmpty() || !new Model.LabelSelector(svc.spec().selector()).selects(w.podLabels())) {
        continue;
      }
      for (Model.Container c : w.pod().containers()) {
        JsonNode target = port.targetPort();
        boolean declares = c.portList().stream().anyMatch(cp -> target == null ? cp.containerPort().equals(port.port())
            : target.isInt() ? cp.containerPort() == target.asInt() : target.asText().equals(cp.name()));
        assertThat(declares).as("%s declares the port Service %s targets", w.name(), svc.name()).isTrue();
        c.envs().stream().filter(e -> e.name().equals("KASOKU_SERVICES"))
            .forEach(e -> roles.addAll(List.of(e.value().split(","))));
      }
    }
    return roles;
  }
}
