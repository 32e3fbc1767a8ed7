package dev.kasoku.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * No Docker engine runs where the tests run, so the image cannot be built here; what can be checked
 * from the Dockerfile's text is checked: two stages (a Maven build, then a runtime without the build
 * tools), the runtime user a number matching the pods' runAsUser, the SBOM the build makes copied
 * beside the jar, and an exec-form entry point (so the JVM is PID 1 and receives SIGTERM itself).
 */
class DockerfileTest {
  private static final Path DOCKERFILE = Rendering.k8sDir().resolve("Dockerfile");

  private static List<String> instructions() throws Exception {
    List<String> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : Files.readAllLines(DOCKERFILE)) {
      String t = line.strip();
      if (t.isEmpty() || t.startsWith("#")) {
        continue;
      }
      if (t.endsWith("\\")) {
        current.append(t, 0, t.length() - 1).append(' ');
        continue;
      }
      out.add(current.append(t).toString());
      current.setLength(0);
    }
    return out;
  }

  private static List<String> finalStage() throws Exception {
    List<String> all = instructions();
    int last = 0;
    for (int i = 0; i < all.size(); i++) {
      if (all.get(i).startsWith("FROM ")) {
        last = i;
      }
    }
    return all.subList(last, all.size());
  }

  @Test
  void buildsTheJarWithMavenInOneStageAndRunsItFromAnotherWithPinnedBases() throws Exception {
    List<String> from = instructions().stream().filter(i -> i.startsWith("FROM ")).toList();
    assertThat(from).hasSize(2);
    assertThat(from.get(0)).contains("maven:").endsWith(" AS build");
    assertThat(from).allSatisfy(f -> assertThat(f.split("\\s+")[1]).contains(":").doesNotEndWith(":latest"));
    assertThat(instructions()).anySatisfy(i -> assertThat(i).startsWith("RUN ").contains("mvn ").contains("-pl launcher -am package"));
    assertThat(finalStage()).noneSatisfy(i -> assertThat(i).startsWith("RUN "));
  }

  @Test
  void runsAsTheNonRootUserThePodsDeclare() throws Exception {
    String user = finalStage().stream().filter(i -> i.startsWith("USER ")).reduce((a, b) -> b).orElseThrow();
    Matcher m = Pattern.compile("USER (\\d+)(?::(\\d+))?").matcher(user);
    assertThat(m.matches()).as("numeric USER so that runAsNonRoot can verify it: %s", user).isTrue();
    long uid = Long.parseLong(m.group(1));
    assertThat(uid).isPositive();
    Rendering prod = Kustomizations.get("overlays/prod");
    assertThat(prod.workloads()).filteredOn(Rules::isKasoku).isNotEmpty()
        .allSatisfy(w -> assertThat(w.pod().securityContext().runAsUser()).isEqualTo(uid));
  }

  @Test
  void carriesTheSbomTheLauncherBuildMakesBesideTheJar() throws Exception {
    String pom = Files.readString(Path.of("..", "launcher", "pom.xml"));
    Matcher name = Pattern.compile("<outputName>([^<]+)</outputName>").matcher(pom);
    assertThat(name.find()).isTrue();
    assertThat(pom).contains("<artifactId>cyclonedx-maven-plugin</artifactId>").contains("<outputFormat>json</outputFormat>");
    String sbom = "launcher/target/" + name.group(1) + ".json";
    assertThat(finalStage()).anySatisfy(i -> assertThat(i).startsWith("COPY --from=build").contains(sbom));
    assertThat(finalStage()).anySatisfy(i -> assertThat(i).startsWith("COPY --from=build").contains("launcher/target/kasoku.jar"));
  }

  @Test
  void theJvmIsTheEntryPointInExecForm() throws Exception {
    String entry = finalStage().stream().filter(i -> i.startsWith("ENTRYPOINT ")).reduce((a, b) -> b).orElseThrow();
    assertThat(entry).startsWith("ENTRYPOINT [").contains("\"-jar\"").contains("kasoku.jar");
    assertThat(finalStage()).noneSatisfy(i -> assertThat(i).startsWith("CMD "));
  }

  @Test
  void theBuildContextLeavesOutBuildOutputAndHistory() throws Exception {
    List<String> ignored = Files.readAllLines(Rendering.k8sDir().resolve("Dockerfile.dockerignore"));
    assertThat(ignored).contains("**/target/", ".git/");
  }
}
