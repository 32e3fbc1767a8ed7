package dev.kasoku.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The build's software bill of materials (CycloneDX, made at {@code package} beside kasoku.jar and
 * copied into the image) lists what the jar ships: every Kasoku module and the third-party libraries
 * with their versions and hashes, and nothing from the test scope. The CycloneDX plugin skips the
 * SBOM when Maven runs offline, so does this test.
 */
class SbomIT {
  @Test
  void theSbomListsEveryShippedModuleAndLibraryWithVersionAndHashButNoTestLibrary() throws Exception {
    assumeFalse("offline=true".equals(System.getProperty("kasoku.maven.mode")), "offline build: the CycloneDX plugin made no SBOM");
    Path bom = Path.of(System.getProperty("kasoku.bom", "target/kasoku-bom.json"));
    assertThat(bom).exists();
    JsonNode root = new ObjectMapper().readTree(Files.readString(bom));
    assertThat(root.path("bomFormat").asText()).isEqualTo("CycloneDX");
    assertThat(root.path("metadata").path("component").path("name").asText()).isEqualTo("kasoku-launcher");
    List<String> components = new ArrayList<>();
    for (JsonNode c : root.path("components")) {
      components.add(c.path("group").asText() + ":" + c.path("name").asText() + ":" + c.path("version").asText());
      assertThat(c.path("hashes")).as("hashes of %s", c.path("name").asText()).isNotEmpty();
    }
    assertThat(components).contains(
        "dev.kasoku:kasoku-common:0.1.0-SNAPSHOT", "dev.kasoku:kasoku-svc-cache-edge:0.1.0-SNAPSHOT",
        "dev.kasoku:kasoku-svc-purge:0.1.0-SNAPSHOT", "dev.kasoku:kasoku-svc-auth:0.1.0-SNAPSHOT",
        "dev.kasoku:kasoku-svc-config:0.1.0-SNAPSHOT", "dev.kasoku:kasoku-svc-logging:0.1.0-SNAPSHOT",
        "dev.kasoku:kasoku-svc-metrics:0.1.0-SNAPSHOT", "io.vertx:vertx-core:5.0.7");
    assertThat(components).noneMatch(c -> c.startsWith("org.junit") || c.startsWith("org.assertj"));
  }
}
