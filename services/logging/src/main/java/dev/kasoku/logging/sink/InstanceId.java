package dev.kasoku.logging.sink;

import dev.kasoku.common.model.Ids;
import dev.kasoku.logging.segment.SegmentFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The identity of a logging instance's stored log: a random id kept in its log directory, created
 * at first start. Sink cursors are stored per (sink, this id): each logging instance ships what it
 * stored itself, from its own files, so its cursors go with its volume, whatever the process or pod
 * is called after a restart.
 */
public final class InstanceId {
  static final String FILE = "instance-id";

  private InstanceId() {}

  /** Reads the id of {@code logDir}, creating it durably when absent. Blocking. */
  public static String of(Path logDir) throws IOException {
    Files.createDirectories(logDir);
    Path file = logDir.resolve(FILE);
    if (Files.exists(file)) {
      String id = Files.readString(file, StandardCharsets.US_ASCII).trim();
      if (Ids.isValid(id)) {
        return id;
      }
    }
    String id = "li-" + Ids.random(12);
    Path tmp = logDir.resolve(FILE + ".new");
    Files.writeString(tmp, id + "\n", StandardCharsets.US_ASCII);
    try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
      ch.force(true);
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    SegmentFile.forceDirectory(logDir);
    return id;
  }
}
