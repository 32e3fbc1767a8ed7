package dev.kasoku.cacheedge.purge;

/**
 * A URL or prefix purge target, {@code host/path...}, split once: the host before the first '/',
 * the path (with its query, for a URL) from that '/' on.
 *
 * @param host lower-case host without port, as the purge service validated it
 * @param path starts with '/'
 */
record PurgeTarget(String host, String path) {

  /** The target split at its first '/', or null when it has no host or no path. */
  static PurgeTarget parse(String target) {
    int slash = target.indexOf('/');
    return slash <= 0 ? null : new PurgeTarget(target.substring(0, slash), target.substring(slash));
  }
}
