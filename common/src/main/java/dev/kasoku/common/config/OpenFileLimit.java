package dev.kasoku.common.config;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The process's open-file limit ({@code RLIMIT_NOFILE}), soft and hard, as the kernel reports it in
 * {@code /proc/self/limits}.
 *
 * <p>Java cannot call {@code setrlimit}. It does not need to: on Linux the HotSpot JVM raises the
 * soft limit to the hard one itself while it starts ({@code -XX:+MaxFDLimit}, on by default), so a
 * process started under {@code ulimit -Sn 1024} with a hard limit of 1,048,576 runs with 1,048,576.
 * What Kasoku does is read the limit that is really in force, log both values at start, warn when
 * the soft limit is still below the hard one (the JVM was started with {@code -XX:-MaxFDLimit}),
 * and size the edge's global connection cap from the soft limit. Raising the hard limit is the
 * operator's ({@code ulimit -n}, systemd {@code LimitNOFILE}, the container runtime's
 * {@code --ulimit nofile}).
 *
 * @param soft the limit in force: opening a file past it fails with EMFILE
 * @param hard the ceiling an unprivileged process may raise the soft limit to
 */
public record OpenFileLimit(long soft, long hard) {
  /** Used when the limit cannot be read (not Linux, no /proc): a common distribution default. */
  public static final OpenFileLimit UNKNOWN = new OpenFileLimit(1024, 1024);
  /** "unlimited" in /proc/self/limits. */
  public static final long UNLIMITED = Long.MAX_VALUE;

  /** The limit of this process, read from /proc/self/limits (else the JVM's view of the soft limit). */
  public static OpenFileLimit current() {
    try {
      OpenFileLimit parsed = parse(Files.readAllLines(Path.of("/proc/self/limits")));
      if (parsed != null) {
        return parsed;
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or /proc not mounted: fall back below
    }
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      long soft = unix.getMaxFileDescriptorCount();
      return new OpenFileLimit(soft, soft);
    }
    return UNKNOWN;
  }

  /** Parses the "Max open files" line of /proc/self/limits; null when there is none. */
  public static OpenFileLimit parse(List<String> lines) {
    for (String line : lines) {
      if (line.startsWith("Max open files")) {
        String[] f = line.substring("Max open files".length()).trim().split("\\s+");
        if (f.length >= 2) {
          return new OpenFileLimit(value(f[0]), value(f[1]));
        }
      }
    }
    return null;
  }

  private static long value(String v) {
    return "unlimited".equals(v) ? UNLIMITED : Long.parseLong(v);
  }

  /** True when the soft limit could still be raised (the JVM did not do it). */
  public boolean belowHard() {
    return soft < hard;
  }
}
