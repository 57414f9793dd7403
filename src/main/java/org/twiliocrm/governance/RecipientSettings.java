package org.twiliocrm.governance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import org.twiliocrm.config.Key;
import org.twiliocrm.config.Settings;

/**
 * Settings of the recipient checks (consent by purpose, quiet hours, frequency caps, geo
 * permissions, OTP limits; keys under {@code governance.recipients.*}). The file is re-read every
 * {@code governance.reload-interval}, with the send approval policy.
 */
public record RecipientSettings(String location) {
  /** The copy packaged in the jar: the fallback when no file is mounted. */
  public static final String PACKAGED = "classpath:governance/recipients.yaml";

  public static final Key<String> LOCATION =
      Key.string(
          "governance.recipients.location",
          "governance/recipients.yaml",
          "Consent by purpose, quiet hours, frequency caps, geo permissions and OTP limits (a"
              + " path, mountable; the packaged copy when absent; or classpath:...).");

  public static final List<Key<?>> KEYS = List.of(LOCATION);

  public static RecipientSettings from(Function<String, String> lookup) {
    return new RecipientSettings(LOCATION.read(new Settings(lookup)));
  }

  /** The location to read: the configured file if it exists, else the packaged copy. */
  public String resolvedLocation() {
    if (location.startsWith("classpath:")) {
      return location;
    }
    String path = location.startsWith("file:") ? location.substring(5) : location;
    return Files.exists(Path.of(path)) ? path : PACKAGED;
  }
}
