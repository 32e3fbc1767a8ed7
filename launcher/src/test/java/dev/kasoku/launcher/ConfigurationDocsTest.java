package dev.kasoku.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.config.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The README's configuration table is the operator's reference: every key the loader accepts has a
 * row there, so a new setting cannot ship undocumented (and a typo'd key, which the loader refuses,
 * can always be checked against it).
 */
class ConfigurationDocsTest {
  @Test
  void everyKeyTheLoaderAcceptsHasARowInTheReadme() throws Exception {
    String readme = Files.readString(Path.of("../README.md"));
    for (String key : ConfigLoader.KEYS) {
      assertThat(readme).as("README.md documents %s", key).contains("| `" + key + "` |");
    }
  }
}
