package dev.kasoku.common.config;

/**
 * Invalid start-up configuration. The message always names the offending key and the value it was
 * given, so one line on stderr is enough for an operator to fix it.
 */
public final class ConfigException extends RuntimeException {
  private final String key;

  public ConfigException(String key, String value, String expected) {
    super(key + "=" + (value == null ? "<unset>" : "'" + value + "'") + " is invalid: " + expected);
    this.key = key;
  }

  public String key() {
    return key;
  }
}
