package dev.kasoku.common.testing;

import dev.kasoku.common.store.embedded.EmbeddedStore;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Comparator;
import java.util.stream.Stream;

/** Embedded stores in throw-away directories, for tests of any module. */
public final class TempStores {
  private TempStores() {}

  /** A fresh temporary directory (delete it with {@link #deleteRecursively}). */
  public static Path newDirectory() {
    try {
      return Files.createTempDirectory("kasoku-store-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Opens an embedded store in a new temporary directory, blocking the calling (non-event-loop) thread. */
  public static EmbeddedStore embedded(Vertx vertx) {
    return embedded(vertx, newDirectory());
  }

  public static EmbeddedStore embedded(Vertx vertx, Path dir) {
    return embedded(vertx, dir, Clock.systemUTC());
  }

  public static EmbeddedStore embedded(Vertx vertx, Path dir, Clock clock) {
    return Await.result(EmbeddedStore.open(vertx, dir, clock));
  }

  public static void deleteRecursively(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
