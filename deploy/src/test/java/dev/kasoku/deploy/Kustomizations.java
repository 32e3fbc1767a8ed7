package dev.kasoku.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Every kustomization under deploy/k8s, rendered once per test JVM: the base, each overlay, and each
 * component on top of the base (a component is in no overlay while the role or setting it deploys has
 * not shipped; rendering it here keeps it checked all the same).
 */
final class Kustomizations {
  /** What each pending component may run or set before the release knows it. */
  private static final java.util.Map<String, Set<String>> PENDING_ROLES = java.util.Map.of();
  private static final java.util.Map<String, Set<String>> PENDING_KEYS = java.util.Map.of();
  private static final ConcurrentHashMap<String, Rendering> CACHE = new ConcurrentHashMap<>();

  private Kustomizations() {}

  /** Names: "base", "overlays/dev", "overlays/prod", "components/portal", ... */
  static List<String> names() {
    List<String> names = new ArrayList<>();
    names.add("base");
    names.addAll(children("overlays"));
    names.addAll(children("components"));
    return names;
  }

  static List<String> overlays() {
    return children("overlays");
  }

  static Rendering get(String name) {
    return CACHE.computeIfAbsent(name, n -> render(n, Kustomize::render));
  }

  /** Rendered with this module's own renderer, whatever is on the PATH. */
  static Rendering own(String name) {
    return render(name, Kustomize::renderOwn);
  }

  static Rendering render(String name, Function<Path, List<com.fasterxml.jackson.databind.node.ObjectNode>> renderer) {
    Path k8s = Rendering.k8sDir();
    if (!name.startsWith("components/")) {
      return new Rendering(name, List.copyOf(renderer.apply(k8s.resolve(name))), Set.of(), Set.of());
    }
    // kustomize loads resources relative to the kustomization, so the wrapper lives in target/
    String component = name.substring("components/".length());
    Path wrapper = Path.of("target", "kustomize", component).toAbsolutePath();
    try {
      Files.createDirectories(wrapper);
      Files.writeString(wrapper.resolve("kustomization.yaml"), String.join("\n",
          "apiVersion: kustomize.config.k8s.io/v1beta1",
          "kind: Kustomization",
          "resources: [" + wrapper.relativize(k8s.resolve("base")) + "]",
          "components: [" + wrapper.relativize(k8s.resolve(name)) + "]", ""));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Rendering(name, List.copyOf(renderer.apply(wrapper)),
        PENDING_ROLES.getOrDefault(component, Set.of()), PENDING_KEYS.getOrDefault(component, Set.of()));
  }

  private static List<String> children(String dir) {
    try (Stream<Path> s = Files.list(Rendering.k8sDir().resolve(dir))) {
      return s.filter(p -> Files.isRegularFile(p.resolve("kustomization.yaml")))
          .map(p -> dir + "/" + p.getFileName()).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
