package dev.kasoku.common.store;

/** A site tried to claim a hostname that another site (of any tenant) already holds. */
public final class HostnameConflictException extends RuntimeException {
  private final String hostname;

  public HostnameConflictException(String hostname) {
    super("hostname " + hostname + " is already in use", null, false, false);
    this.hostname = hostname;
  }

  public String hostname() {
    return hostname;
  }
}
