package org.twiliocrm.governance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.twiliocrm.config.Key;
import org.twiliocrm.config.Settings;

/**
 * The policy gate's settings (keys under {@code governance.*}).
 *
 * @param policiesLocation the policy file; a missing file falls back to the packaged copy
 * @param approvalExpiry how long a request waits for a decision when the file sets none
 * @param reloadInterval how often the file is re-read and expired requests are closed
 */
public record GovernanceSettings(
    String policiesLocation, Duration approvalExpiry, Duration reloadInterval) {

  /** The copy packaged in the jar: the fallback when no file is mounted. */
  public static final String PACKAGED = "classpath:governance/policies.yaml";

  public static final Key<String> POLICIES_LOCATION =
      Key.string(
          "governance.policies.location",
          "governance/policies.yaml",
          "Policy file of the send approval gate (a path, mountable; the packaged copy when"
              + " absent; or classpath:...).");
  public static final Key<Duration> APPROVAL_EXPIRY =
      Key.duration(
          "governance.approval-expiry",
          "24h",
          "How long an approval request waits before its rows fail APPROVAL_EXPIRED (the policy"
              + " file's approval-expiry wins).");
  public static final Key<Duration> RELOAD_INTERVAL =
      Key.duration(
          "governance.reload-interval",
          "5s",
          "How often the policy file is re-read (a broken edit keeps the last good policy) and"
              + " expired approval requests are closed.");

  public static final List<Key<?>> KEYS =
      List.of(POLICIES_LOCATION, APPROVAL_EXPIRY, RELOAD_INTERVAL);

  public static GovernanceSettings from(Function<String, String> lookup) {
    Settings s = new Settings(lookup);
    return new GovernanceSettings(
        POLICIES_LOCATION.read(s), APPROVAL_EXPIRY.read(s), RELOAD_INTERVAL.read(s));
  }

  public static GovernanceSettings defaults() {
    return from(k -> null);
  }

  /** The location to read: the configured file if it exists, else the packaged copy. */
  public String resolvedLocation() {
    if (policiesLocation.startsWith("classpath:")) {
      return policiesLocation;
    }
    String path =
        policiesLocation.startsWith("file:") ? policiesLocation.substring(5) : policiesLocation;
    return Files.exists(Path.of(path)) ? path : PACKAGED;
  }
}
