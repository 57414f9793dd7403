package org.twiliocrm.config;

/** A configuration value is missing or invalid. The message always names the key. */
public final class ConfigException extends IllegalArgumentException {
  private final String key;

  public ConfigException(String key, String problem) {
    super(key + ": " + problem);
    this.key = key;
  }

  public String key() {
    return key;
  }
}
