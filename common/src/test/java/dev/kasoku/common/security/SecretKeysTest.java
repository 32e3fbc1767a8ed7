package dev.kasoku.common.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.config.ConfigLoader;
import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.testing.TempStores;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SecretKeysTest {
  @Test
  void devModeGeneratesOneRandomKeyInTheDataDirReadableOnlyByItsOwner() throws Exception {
    Path dir = TempStores.newDirectory();
    try {
      KasokuConfig config = ConfigLoader.load(Map.of("KASOKU_DATA_DIR", dir.toString()));
      byte[] first = SecretKeys.master(config);
      Path file = dir.resolve(SecretKeys.DEV_KEY_FILE);
      assertThat(file).exists();
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
      assertThat(first.length).isGreaterThanOrEqualTo(KasokuConfig.MIN_SECRET_KEY_LENGTH);
      assertThat(SecretKeys.master(config)).as("kept across restarts").isEqualTo(first);

      Path other = TempStores.newDirectory();
      try {
        assertThat(SecretKeys.master(ConfigLoader.load(Map.of("KASOKU_DATA_DIR", other.toString()))))
            .as("random, never a built-in default").isNotEqualTo(first);
      } finally {
        TempStores.deleteRecursively(other);
      }
    } finally {
      TempStores.deleteRecursively(dir);
    }
  }

  @Test
  void aConfiguredKeyIsUsedAndNothingIsWritten() {
    Path dir = TempStores.newDirectory();
    try {
      String key = "k".repeat(40);
      KasokuConfig config = ConfigLoader.load(Map.of("KASOKU_DATA_DIR", dir.toString(), "KASOKU_SECRET_KEY", key));
      assertThat(new String(SecretKeys.master(config))).isEqualTo(key);
      assertThat(dir.resolve(SecretKeys.DEV_KEY_FILE)).doesNotExist();
    } finally {
      TempStores.deleteRecursively(dir);
    }
  }

  @Test
  void derivedKeysDifferByPurpose() {
    byte[] master = "m".repeat(40).getBytes();
    assertThat(SecretKeys.derive(master, "a")).hasSize(32).isNotEqualTo(SecretKeys.derive(master, "b"));
    assertThat(SecretKeys.derive(master, "a")).isEqualTo(SecretKeys.derive(master, "a"));
  }
}
