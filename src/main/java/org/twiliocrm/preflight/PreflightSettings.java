package org.twiliocrm.preflight;

import java.time.Duration;
import java.util.List;
import org.twiliocrm.config.Key;

/**
 * The preflight keys (section {@code preflight} of application.properties), declared once: read by
 * the preflight command and by the periodic re-checks the running connector makes.
 */
public final class PreflightSettings {
  private PreflightSettings() {}

  public static final Key<Integer> API_HEADROOM_PERCENT =
      Key.integer(
          "preflight.api-headroom-percent",
          10,
          0,
          100,
          "Least share (percent) of the Salesforce daily API limit that must remain for the"
              + " headroom check to pass.");

  /** Zero turns the re-checks off. */
  public static final Key<Duration> RECHECK_INTERVAL =
      Key.duration(
          "preflight.recheck-interval",
          "15m",
          "How often the checks that can change at run time (Salesforce schema and access, CDC,"
              + " API limits) re-run for /observe/health and metrics; each run costs about 8"
              + " Salesforce API calls; 0 turns them off.");

  public static final List<Key<?>> KEYS = List.of(API_HEADROOM_PERCENT, RECHECK_INTERVAL);
}
