package dev.kasoku.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Renders a kustomization directory into the objects {@code kubectl apply -k} would send.
 *
 * <p>Two renderers: {@code kubectl kustomize} when a kubectl is on the PATH, and otherwise this
 * class's own, which implements exactly the part of kustomize that deploy/k8s uses — {@code
 * resources} (files, and directories holding a kustomization), {@code components}, {@code patches}
 * (strategic merge, the target taken from the patch; or JSON 6902 {@code add}/{@code replace}/{@code
 * remove} with an explicit {@code target}), {@code images} and {@code namespace}. Any other field in
 * a kustomization, or a strategic-merge directive ({@code $patch}), is refused rather than ignored,
 * so a manifest change that needs more of kustomize fails here instead of being checked wrongly.
 * Where both exist, {@link KustomizeTest} checks that they render the same objects, which keeps this
 * renderer honest on machines that have no kubectl.
 *
 * <p>Strategic merge follows Kubernetes' merge keys for the lists deploy/k8s patches: containers,
 * init containers, env and volumes by {@code name}, volume mounts by {@code mountPath}, container
 * ports by {@code containerPort}, Service ports by {@code port}; other lists are replaced whole.
 */
final class Kustomize {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> KNOWN_FIELDS = Set.of(
      "apiVersion", "kind", "resources", "components", "patches", "images", "namespace");
  /** Kinds without a namespace (the ones deploy/k8s could contain). */
  private static final Set<String> CLUSTER_SCOPED = Set.of(
      "Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass",
      "IngressClass", "CustomResourceDefinition", "PriorityClass");

  private Kustomize() {}

  /** With kubectl when present, else with {@link #renderOwn}. */
  static List<ObjectNode> render(Path dir) {
    return kubectl().map(k -> renderWithKubectl(k, dir)).orElseGet(() -> renderOwn(dir));
  }

  /** The kubectl on the PATH, if any ({@code -Dkasoku.kubectl=none}: as if there were none). */
  static Optional<Path> kubectl() {
    if ("none".equals(System.getProperty("kasoku.kubectl"))) {
      return Optional.empty();
    }
    String path = System.getenv().getOrDefault("PATH", "");
    for (String d : path.split(java.io.File.pathSeparator)) {
      Path candidate = Path.of(d, "kubectl");
      if (!d.isEmpty() && Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** {@code kubectl kustomize dir}, bounded to a minute (it renders locally, no cluster needed). */
  static List<ObjectNode> renderWithKubectl(Path kubectl, Path dir) {
    try {
      // stderr to a file, so that neither stream can fill its pipe while the other is read
      Path err = Files.createTempFile("kubectl-kustomize", ".err");
      try {
        Process p = new ProcessBuilder(kubectl.toString(), "kustomize", dir.toString())
            .redirectError(err.toFile()).start();
        String out;
        try (InputStream stdout = p.getInputStream()) {
          out = new String(stdout.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          throw new IllegalStateException("kubectl kustomize " + dir + " did not finish in 60 s");
        }
        if (p.exitValue() != 0) {
          throw new IllegalStateException("kubectl kustomize " + dir + " failed: " + Files.readString(err));
        }
        return parseAll(out);
      } finally {
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** This class's own renderer (see the class comment for what it implements). */
  static List<ObjectNode> renderOwn(Path dir) {
    return build(dir);
  }

  private static List<ObjectNode> build(Path dir) {
    ObjectNode k = kustomization(dir, false);
    List<ObjectNode> objects = new ArrayList<>();
    for (JsonNode r : k.path("resources")) {
      Path target = dir.resolve(r.asText()).normalize();
      if (Files.isDirectory(target)) {
        objects.addAll(build(target));
      } else {
        objects.addAll(parseAll(read(target)));
      }
    }
    // a component adds its resources to what was accumulated so far, then patches the whole
    for (JsonNode c : k.path("components")) {
      Path component = dir.resolve(c.asText()).normalize();
      ObjectNode ck = kustomization(component, true);
      for (JsonNode r : ck.path("resources")) {
        objects.addAll(parseAll(read(component.resolve(r.asText()).normalize())));
      }
      applyPatches(objects, ck, component);
      applyTransformers(objects, ck, component);
    }
    applyPatches(objects, k, dir);
    applyTransformers(objects, k, dir);
    return objects;
  }

  private static ObjectNode kustomization(Path dir, boolean component) {
    Path file = dir.resolve("kustomization.yaml");
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(dir + " has no kustomization.yaml");
    }
    ObjectNode k = parseOne(read(file), file);
    for (Iterator<String> it = k.fieldNames(); it.hasNext(); ) {
      String field = it.next();
      if (!KNOWN_FIELDS.contains(field) || (component && field.equals("components"))) {
        throw new IllegalStateException(file + ": '" + field + "' is not implemented by this renderer;"
            + " implement it in Kustomize.java or render with kubectl");
      }
    }
    String kind = k.path("kind").asText("Kustomization");
    if (component != kind.equals("Component")) {
      throw new IllegalStateException(file + ": kind " + kind + " where a "
          + (component ? "Component" : "Kustomization") + " was expected");
    }
    return k;
  }

  private static void applyPatches(List<ObjectNode> objects, ObjectNode k, Path dir) {
    for (JsonNode patch : k.path("patches")) {
      Path file = dir.resolve(patch.path("path").asText()).normalize();
      String text = read(file);
      JsonNode target = patch.get("target");
      if (target != null) {
        ObjectNode object = find(objects, target.path("kind").asText(), target.path("name").asText(), file);
        JsonNode ops = JSON.valueToTree(new Yaml(new SafeConstructor(new LoaderOptions())).load(text));
        if (!ops.isArray()) {
          throw new IllegalStateException(file + ": a patch with a target must be a JSON 6902 list here");
        }
        for (JsonNode op : ops) {
          json6902(object, op, file);
        }
      } else {
        for (ObjectNode p : parseAll(text)) {
          ObjectNode object = find(objects, p.path("kind").asText(), p.path("metadata").path("name").asText(), file);
          merge(object, p, "", file);
        }
      }
    }
  }

  private static void applyTransformers(List<ObjectNode> objects, ObjectNode k, Path dir) {
    for (JsonNode image : k.path("images")) {
      String name = image.path("name").asText();
      for (ObjectNode o : objects) {
        forEachContainer(o, c -> {
          String current = c.path("image").asText();
          String repo = current.contains(":") ? current.substring(0, current.lastIndexOf(':')) : current;
          if (repo.equals(name)) {
            String newName = image.has("newName") ? image.get("newName").asText() : repo;
            String tag = image.has("newTag") ? ":" + image.get("newTag").asText()
                : current.contains(":") ? current.substring(current.lastIndexOf(':')) : "";
            c.put("image", newName + tag);
          }
        });
      }
    }
    if (k.has("namespace")) {
      String ns = k.get("namespace").asText();
      for (ObjectNode o : objects) {
        if (!CLUSTER_SCOPED.contains(o.path("kind").asText())) {
          ((ObjectNode) o.get("metadata")).put("namespace", ns);
        }
      }
    }
  }

  /** Calls {@code action} on every container and init container of a workload's pod template. */
  static void forEachContainer(ObjectNode o, java.util.function.Consumer<ObjectNode> action) {
    JsonNode pod = podSpec(o);
    if (pod == null) {
      return;
    }
    for (String list : List.of("containers", "initContainers")) {
      for (JsonNode c : pod.path(list)) {
        action.accept((ObjectNode) c);
      }
    }
  }

  /** The pod spec of a workload (or of a Pod), or null for objects without one. */
  static JsonNode podSpec(JsonNode o) {
    return switch (o.path("kind").asText()) {
      case "Pod" -> o.get("spec");
      case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController" ->
          o.path("spec").path("template").get("spec");
      case "CronJob" -> o.path("spec").path("jobTemplate").path("spec").path("template").get("spec");
      default -> null;
    };
  }

  private static ObjectNode find(List<ObjectNode> objects, String kind, String name, Path patch) {
    return objects.stream()
        .filter(o -> o.path("kind").asText().equals(kind) && o.path("metadata").path("name").asText().equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalStateException(patch + ": no " + kind + " named '" + name + "' to patch"));
  }

  private static void merge(ObjectNode into, ObjectNode patch, String path, Path file) {
    for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = e.getKey();
      JsonNode value = e.getValue();
      if (key.startsWith("$")) {
        throw new IllegalStateException(file + ": directive " + key + " is not implemented by this renderer");
      }
      JsonNode current = into.get(key);
      if (value.isNull()) {
        into.remove(key);
      } else if (value.isObject() && current != null && current.isObject()) {
        merge((ObjectNode) current, (ObjectNode) value, path + "/" + key, file);
      } else if (value.isArray() && current != null && current.isArray() && mergeKey(path, key) != null) {
        mergeList((ArrayNode) current, (ArrayNode) value, mergeKey(path, key), path + "/" + key, file);
      } else {
        into.set(key, value.deepCopy());
      }
    }
  }

  private static String mergeKey(String path, String key) {
    return switch (key) {
      case "containers", "initContainers", "env", "volumes" -> "name";
      case "volumeMounts" -> "mountPath";
      case "ports" -> path.endsWith("/spec") && !path.contains("template") ? "port" : "containerPort";
      default -> null;
    };
  }

  /** Like kubectl: the patch's items first in the patch's order (merged where they exist), then the rest. */
  private static void mergeList(ArrayNode into, ArrayNode patch, String key, String path, Path file) {
    List<JsonNode> result = new ArrayList<>();
    List<JsonNode> rest = new ArrayList<>();
    into.forEach(rest::add);
    for (JsonNode item : patch) {
      if (!item.has(key)) {
        throw new IllegalStateException(file + ": an item of " + path + " lacks its merge key " + key);
      }
      ObjectNode existing = null;
      for (JsonNode candidate : rest) {
        if (candidate.path(key).equals(item.get(key))) {
          existing = (ObjectNode) candidate;
        }
      }
      if (existing == null) {
        result.add(item.deepCopy());
      } else {
        rest.remove(existing);
        merge(existing, (ObjectNode) item, path, file);
        result.add(existing);
      }
    }
    result.addAll(rest);
    into.removeAll();
    into.addAll(result);
  }

  private static void json6902(ObjectNode object, JsonNode op, Path file) {
    String kind = op.path("op").asText();
    String[] parts = op.path("path").asText().substring(1).split("/");
    JsonNode parent = object;
    for (int i = 0; i < parts.length - 1; i++) {
      parent = parent.isArray() ? parent.get(Integer.parseInt(parts[i])) : parent.get(unescape(parts[i]));
      if (parent == null) {
        throw new IllegalStateException(file + ": path " + op.path("path").asText() + " does not exist");
      }
    }
    String last = unescape(parts[parts.length - 1]);
    JsonNode value = op.get("value");
    switch (kind) {
      case "add" -> {
        if (parent.isArray()) {
          if (last.equals("-")) {
            ((ArrayNode) parent).add(value.deepCopy());
          } else {
            ((ArrayNode) parent).insert(Integer.parseInt(last), value.deepCopy());
          }
        } else {
          ((ObjectNode) parent).set(last, value.deepCopy());
        }
      }
      case "replace" -> {
        boolean exists = parent.isArray() ? parent.has(Integer.parseInt(last)) : parent.has(last);
        if (!exists) {
          throw new IllegalStateException(file + ": replace of " + op.path("path").asText() + ", which does not exist");
        }
        if (parent.isArray()) {
          ((ArrayNode) parent).set(Integer.parseInt(last), value.deepCopy());
        } else {
          ((ObjectNode) parent).set(last, value.deepCopy());
        }
      }
      case "remove" -> {
        if (parent.isArray()) {
          ((ArrayNode) parent).remove(Integer.parseInt(last));
        } else {
          ((ObjectNode) parent).remove(last);
        }
      }
      default -> throw new IllegalStateException(file + ": JSON patch op '" + kind + "' is not implemented here");
    }
  }

  private static String unescape(String token) {
    return token.replace("~1", "/").replace("~0", "~");
  }

  /** Every YAML document of a multi-document text, as JSON trees (empty documents skipped). */
  static List<ObjectNode> parseAll(String text) {
    List<ObjectNode> out = new ArrayList<>();
    for (Object doc : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(text)) {
      if (doc != null) {
        JsonNode node = JSON.valueToTree(doc);
        if (!node.isObject()) {
          throw new IllegalStateException("a YAML document that is not an object: " + node);
        }
        out.add((ObjectNode) node);
      }
    }
    return out;
  }

  private static ObjectNode parseOne(String text, Path file) {
    List<ObjectNode> docs = parseAll(text);
    if (docs.size() != 1) {
      throw new IllegalStateException(file + ": expected one YAML document, found " + docs.size());
    }
    return docs.get(0);
  }

  static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }
}
