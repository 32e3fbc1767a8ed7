package dev.kasoku.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * Keeps the module rule of DESIGN.md enforceable: services meet on the bus, in the store or over
 * HTTP, never in each other's classes.
 *
 * <p>The rule itself is enforced by maven-enforcer in {@code services/pom.xml}: it bans every
 * {@code dev.kasoku:kasoku-svc-*} dependency in the modules that inherit that pom. The enforcer
 * cannot see its own blind spots, which this test covers (reading the poms, in milliseconds):
 * a service module that does not inherit {@code kasoku-services} (so the ban never runs on it), a
 * service whose artifactId escapes the {@code kasoku-svc-*} pattern (so depending on it is not
 * banned), a service directory missing from the services build, and the shared kernel
 * ({@code common}) depending on a service, which the services pom does not govern.
 */
class ModuleBoundariesTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  @Test
  void everyServiceModuleInheritsTheEnforcerRuleAndMatchesItsPattern() throws Exception {
    List<String> listed = children(parse(ROOT.resolve("services/pom.xml")), "modules", "module");
    List<Path> serviceDirs;
    try (Stream<Path> dirs = Files.list(ROOT.resolve("services"))) {
      serviceDirs = dirs.filter(d -> Files.exists(d.resolve("pom.xml"))).sorted().toList();
    }
    assertThat(serviceDirs).isNotEmpty();
    for (Path dir : serviceDirs) {
      Document pom = parse(dir.resolve("pom.xml"));
      String name = dir.getFileName().toString();
      assertThat(listed).as("services/pom.xml lists module %s", name).contains(name);
      assertThat(text(pom, "parent", "artifactId")).as("parent of services/%s", name).isEqualTo("kasoku-services");
      assertThat(direct(pom.getDocumentElement(), "artifactId")).as("artifactId of services/%s", name)
          .isEqualTo("kasoku-svc-" + name);
    }
  }

  @Test
  void theSharedKernelDependsOnNoService() throws Exception {
    assertThat(dependencyArtifacts(parse(ROOT.resolve("common/pom.xml"))))
        .noneMatch(a -> a.startsWith("kasoku-svc-"));
  }

  private static Document parse(Path pom) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    try {
      return f.newDocumentBuilder().parse(pom.toFile());
    } catch (IOException e) {
      throw new AssertionError("cannot read " + pom, e);
    }
  }

  private static List<String> dependencyArtifacts(Document pom) {
    List<String> out = new ArrayList<>();
    NodeList deps = pom.getElementsByTagName("dependency");
    for (int i = 0; i < deps.getLength(); i++) {
      out.add(direct((Element) deps.item(i), "artifactId"));
    }
    return out;
  }

  private static List<String> children(Document pom, String container, String child) {
    List<String> out = new ArrayList<>();
    NodeList containers = pom.getDocumentElement().getElementsByTagName(container);
    for (int i = 0; i < containers.getLength(); i++) {
      NodeList kids = containers.item(i).getChildNodes();
      for (int j = 0; j < kids.getLength(); j++) {
        if (kids.item(j) instanceof Element e && e.getTagName().equals(child)) {
          out.add(e.getTextContent().trim());
        }
      }
    }
    return out;
  }

  private static String text(Document pom, String parent, String child) {
    NodeList parents = pom.getDocumentElement().getElementsByTagName(parent);
    return parents.getLength() == 0 ? null : direct((Element) parents.item(0), child);
  }

  /** Text of a direct child element (not of a nested one with the same name). */
  private static String direct(Element parent, String child) {
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && e.getTagName().equals(child)) {
        return e.getTextContent().trim();
      }
    }
    return null;
  }
}
