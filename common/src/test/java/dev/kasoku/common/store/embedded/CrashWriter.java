package dev.kasoku.common.store.embedded;

import dev.kasoku.common.model.Tenant;
import io.vertx.core.Vertx;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;

/**
 * Child process of {@link EmbeddedStoreDurabilityTest}: opens the store in the directory given as
 * the first argument and creates tenants {@code crash-0, crash-1, ...} one after another forever,
 * printing {@code acked <n>} on stdout after each create's Future succeeded. The test kills it with
 * SIGKILL at an arbitrary point.
 */
public final class CrashWriter {
  private CrashWriter() {}

  public static void main(String[] args) throws Exception {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    Vertx vertx = Vertx.vertx();
    EmbeddedStore store = EmbeddedStore.open(vertx, Path.of(args[0]), Clock.systemUTC()).await();
    out.println("open");
    for (int i = 0; ; i++) {
      store.tenants().createTenant(new Tenant("crash-" + i, "n", "p", List.of(), Instant.EPOCH)).await();
      out.println("acked " + i);
    }
  }
}
