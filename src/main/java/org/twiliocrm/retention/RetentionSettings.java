package org.twiliocrm.retention;

import java.util.List;
import java.util.function.Function;
import org.twiliocrm.config.Key;
import org.twiliocrm.config.Settings;

/**
 * Typed settings of the retention job ({@code retention.*} keys).
 *
 * @param enabled whether the job runs at all
 * @param days how long message bodies and webhook payloads are kept
 * @param intervalMinutes how often the job looks for expired rows
 * @param batchSize rows changed per transaction
 */
public record RetentionSettings(boolean enabled, int days, int intervalMinutes, int batchSize) {
  public static final Key<Boolean> ENABLED =
      Key.bool(
          "retention.enabled",
          true,
          "Purge webhook payloads and redact message bodies once they are older than"
              + " retention.days.");
  public static final Key<Integer> DAYS =
      Key.integer(
          "retention.days",
          30,
          1,
          3650,
          "Days that webhook payloads, message bodies and template variables are kept; older"
              + " processed webhook events are deleted and finished messages lose their bodies.");
  public static final Key<Integer> INTERVAL_MINUTES =
      Key.integer(
          "retention.interval-minutes",
          60,
          1,
          10_080,
          "How often the retention job runs (on the CRM events leader only, or on every replica"
              + " when crm.events.enabled=false).");
  public static final Key<Integer> BATCH_SIZE =
      Key.integer(
          "retention.batch-size",
          500,
          1,
          10_000,
          "Rows the retention job changes per transaction, so it never holds long locks.");

  public static final List<Key<?>> KEYS = List.of(ENABLED, DAYS, INTERVAL_MINUTES, BATCH_SIZE);

  public static RetentionSettings from(Function<String, String> lookup) {
    Settings s = new Settings(lookup);
    return new RetentionSettings(
        ENABLED.read(s), DAYS.read(s), INTERVAL_MINUTES.read(s), BATCH_SIZE.read(s));
  }
}
