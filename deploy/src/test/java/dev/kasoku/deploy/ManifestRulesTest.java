package dev.kasoku.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kustomization of deploy/k8s renders, and every workload in it follows {@link Rules}: a new
 * Deployment without limits, probes or a securityContext, a KASOKU_* key the process would refuse, or
 * a port no NetworkPolicy fences, fails here.
 */
class ManifestRulesTest {
  static Stream<String> kustomizations() {
    return Kustomizations.names().stream();
  }

  @Test
  void theBaseBothOverlaysAndEveryComponentAreChecked() {
    assertThat(Kustomizations.names()).contains("base", "overlays/dev", "overlays/prod",
        "components/portal", "components/peer-fill");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kustomizations")
  void everyWorkloadFollowsTheRules(String name) {
    Rendering r = Kustomizations.get(name);
    assertThat(r.workloads()).as("%s has workloads", name).isNotEmpty();
    List<String> violations = Rules.check(r);
    assertThat(violations).as("rule violations in %s", name).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.kasoku.deploy.ManifestRulesTest#overlays")
  void everyOverlayRunsEveryRoleOfTheReleaseWithAPinnedImage(String name) {
    Rendering r = Kustomizations.get(name);
    List<String> roles = r.workloads().stream().filter(Rules::isKasoku)
        .flatMap(w -> w.pod().containers().stream())
        .flatMap(c -> c.envs().stream()).filter(e -> e.name().equals("KASOKU_SERVICES"))
        .map(e -> e.value()).toList();
    assertThat(roles).containsExactlyInAnyOrderElementsOf(
        Stream.of(dev.kasoku.common.config.ServiceRole.values()).map(dev.kasoku.common.config.ServiceRole::id).toList());
    r.workloads().forEach(w -> w.pod().allContainers().forEach(c -> {
      assertThat(c.image()).as("%s %s image", w.name(), c.name()).matches(".+:[^:/]+$").doesNotEndWith(":latest");
    }));
  }

  static Stream<String> overlays() {
    return Kustomizations.overlays().stream();
  }

  /**
   * A component waits for a role or a key the release does not have yet; once the release has it,
   * this fails until the component joins the overlays (and leaves the pending list in
   * {@link Kustomizations}).
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("components")
  void aComponentStaysOutOfTheOverlaysOnlyWhileItsRoleOrKeyIsNotShipped(String name) {
    Rendering r = Kustomizations.get(name);
    assertThat(r.pendingRoles()).as("%s waits for something this release does not have", name)
        .allSatisfy(role -> assertThat(dev.kasoku.common.config.ServiceRole.byId(role))
            .as("role %s has shipped: add %s to the overlays", role, name).isEmpty());
    assertThat(r.pendingKeys())
        .allSatisfy(key -> assertThat(dev.kasoku.common.config.ConfigLoader.KEYS)
            .as("key %s has shipped: add %s to the overlays", key, name).doesNotContain(key));
  }

  static Stream<String> components() {
    return Kustomizations.names().stream().filter(n -> n.startsWith("components/"));
  }

  @Test
  void theDevOverlayIsSelfContainedAndProductionBringsItsOwnSecret() {
    Rendering dev = Kustomizations.get("overlays/dev");
    assertThat(dev.secret("kasoku-secrets")).isPresent();
    assertThat(dev.object("StatefulSet", "kasoku-redis")).isPresent();
    Rendering prod = Kustomizations.get("overlays/prod");
    assertThat(prod.secrets()).isEmpty();
    assertThat(prod.object("StatefulSet", "kasoku-redis")).isEmpty();
  }

  @Test
  void productionEnforcesTheRestrictedPodSecurityStandardOnItsNamespace() {
    Rendering prod = Kustomizations.get("overlays/prod");
    var ns = prod.object("Namespace", "kasoku").orElseThrow();
    assertThat(ns.path("metadata").path("labels").path("pod-security.kubernetes.io/enforce").asText()).isEqualTo("restricted");
    assertThat(prod.objects()).filteredOn(o -> !o.path("kind").asText().equals("Namespace"))
        .allSatisfy(o -> assertThat(o.path("metadata").path("namespace").asText()).isEqualTo("kasoku"));
  }
}
