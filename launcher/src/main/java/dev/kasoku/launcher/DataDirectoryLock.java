package dev.kasoku.launcher;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Makes a data directory belong to one Kasoku process at a time. The embedded store, the stored
 * access logs and the spools are single-writer files: a second process writing them would corrupt
 * them, so it must fail at start, clearly, before it opens anything.
 *
 * <p>The lock is an OS file lock on {@code <dataDir>/kasoku.lock}, so it disappears with the process
 * even after a crash (no stale lock file to delete by hand); the file holds the owner's pid for the
 * error message. A second launcher in the same JVM (tests) is refused the same way.
 */
final class DataDirectoryLock {
  static final String FILE_NAME = "kasoku.lock";

  private final FileChannel channel;
  private final FileLock lock;

  private DataDirectoryLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /** Creates the directory if needed and locks it, or fails with a message naming the owner. */
  static DataDirectoryLock acquire(Path dataDir) {
    Path dir = dataDir.toAbsolutePath().normalize();
    Path file = dir.resolve(FILE_NAME);
    FileChannel channel = null;
    try {
      Files.createDirectories(dir);
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException sameJvm) {
        lock = null;
      }
      if (lock == null) {
        String owner = readOwner(file);
        channel.close();
        throw new StartupException("data directory " + dir + " is in use by another Kasoku process"
            + (owner.isEmpty() ? "" : " (pid " + owner + ")")
            + "; stop it or set KASOKU_DATA_DIR to another directory");
      }
      channel.truncate(0);
      channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
      channel.force(false);
      return new DataDirectoryLock(channel, lock);
    } catch (IOException e) {
      closeQuietly(channel);
      throw new StartupException("cannot use data directory " + dir + " (KASOKU_DATA_DIR): " + e.getMessage(), e);
    }
  }

  /** Releases the lock; the directory can then be used by another process. */
  void release() {
    try {
      lock.release();
    } catch (IOException ignored) {
      // closing the channel below releases it as well
    }
    closeQuietly(channel);
  }

  private static String readOwner(Path file) {
    try {
      return Files.readString(file, StandardCharsets.US_ASCII).trim();
    } catch (IOException e) {
      return "";
    }
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel == null) {
      return;
    }
    try {
      channel.close();
    } catch (IOException ignored) {
      // nothing left to release
    }
  }
}
