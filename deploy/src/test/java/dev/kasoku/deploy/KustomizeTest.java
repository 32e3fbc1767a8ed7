package dev.kasoku.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The module's own kustomize renderer, used where no kubectl is installed, renders what kubectl
 * renders, and refuses what it does not implement instead of rendering it wrong.
 */
class KustomizeTest {
  static Stream<String> kustomizations() {
    return Kustomizations.names().stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kustomizations")
  void ownRendererGivesTheSameObjectsAsKubectl(String name) {
    assumeTrue(Kustomize.kubectl().isPresent(), "kubectl is not installed: nothing to compare with");
    Rendering kubectl = Kustomizations.render(name, dir -> Kustomize.renderWithKubectl(Kustomize.kubectl().get(), dir));
    Rendering own = Kustomizations.own(name);
    assertThat(sorted(own.objects())).as("own rendering of %s", name).isEqualTo(sorted(kubectl.objects()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kustomizations")
  void ownRendererFollowsTheRulesToo(String name) {
    assertThat(Rules.check(Kustomizations.own(name))).isEmpty();
  }

  @Test
  void aKustomizationFieldTheOwnRendererDoesNotImplementIsRefused(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("kustomization.yaml"), "resources: []\nnamePrefix: x-\n");
    assertThatThrownBy(() -> Kustomize.renderOwn(dir)).hasMessageContaining("'namePrefix' is not implemented");
  }

  @Test
  void aPatchOfAnObjectThatDoesNotExistIsRefused(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("kustomization.yaml"), "resources: [cm.yaml]\npatches:\n  - path: p.yaml\n");
    Files.writeString(dir.resolve("cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: v}\n");
    Files.writeString(dir.resolve("p.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata: {k: w}\n");
    assertThatThrownBy(() -> Kustomize.renderOwn(dir)).hasMessageContaining("no ConfigMap named 'b'");
  }

  @Test
  void strategicMergeMergesContainersAndEnvByNameInKubectlsOrderAndReplacesOtherLists(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("kustomization.yaml"), "resources: [d.yaml]\npatches:\n  - path: p.yaml\n");
    Files.writeString(dir.resolve("d.yaml"), String.join("\n",
        "apiVersion: apps/v1", "kind: Deployment", "metadata: {name: d}", "spec:", "  template:", "    spec:",
        "      containers:", "        - name: a", "          args: [x, y]",
        "          env: [{name: A, value: '1'}, {name: B, value: '2'}]", "        - name: b", ""));
    Files.writeString(dir.resolve("p.yaml"), String.join("\n",
        "apiVersion: apps/v1", "kind: Deployment", "metadata: {name: d}", "spec:", "  template:", "    spec:",
        "      containers:", "        - name: a", "          args: [z]", "          env: [{name: B, value: '3'}, {name: C, value: '4'}]",
        "        - name: c", ""));
    ObjectNode d = Kustomize.renderOwn(dir).get(0);
    var containers = d.path("spec").path("template").path("spec").path("containers");
    // the order kubectl gives: the patch's items first, in its order, then the others
    assertThat(containers.findValuesAsText("name")).containsExactly("a", "B", "C", "A", "c", "b");
    assertThat(containers.get(0).path("args").toString()).isEqualTo("[\"z\"]");
  }

  private static List<String> sorted(List<ObjectNode> objects) {
    return objects.stream().map(KustomizeTest::canonical).sorted(Comparator.naturalOrder()).toList();
  }

  /** Key order does not matter to Kubernetes; list order does. */
  private static String canonical(ObjectNode o) {
    try {
      var mapper = Kustomize.JSON.copy().configure(com.fasterxml.jackson.databind.SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
      Object plain = mapper.treeToValue(o, Object.class);
      return mapper.writerWithDefaultPrettyPrinter().writeValueAsString(plain);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
