package org.twiliocrm.crm;

import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.twiliocrm.config.Key;
import org.twiliocrm.config.Settings;

/**
 * Typed settings of the Salesforce write-back ({@code webhook.crm.*} keys).
 *
 * @param enabled whether the write-back routes run (the routes read {@code
 *     {{webhook.crm.writeback.enabled}}} themselves; checked here at start-up)
 * @param batchSize records per sObject Collections call
 * @param initialBackoff first pause after a failed Salesforce call
 * @param maxBackoff longest pause between retries
 * @param lookupPhoneFields objects and fields searched for an unlinked reply, {@code
 *     Object=Field|Field,...}
 * @param lease how long a replica holds the records and actions it claimed before another may take
 *     them over
 * @param interimDelay how long a message record whose status is still interim waits for a later
 *     status before it is written anyway
 */
public record WritebackSettings(
    boolean enabled,
    int batchSize,
    Duration initialBackoff,
    Duration maxBackoff,
    String lookupPhoneFields,
    Duration lease,
    Duration interimDelay) {

  // Each key declared once (see ConfigReferenceTest).
  public static final Key<Boolean> ENABLED =
      Key.bool(
          "webhook.crm.writeback.enabled",
          true,
          "Turn the Salesforce write-back routes on or off.");

  /** Read by the write-back route as a placeholder; checked at start-up. */
  public static final Key<Integer> FLUSH_MILLIS =
      Key.integer(
          "webhook.crm.writeback.flush-millis",
          800,
          0,
          3_600_000,
          "Longest a changed record waits for more changes before a partial batch is sent (a full"
              + " batch of 200 goes at once).");

  /** Read by the write-back route as a placeholder; checked at start-up. */
  public static final Key<Integer> TICK_MILLIS =
      Key.integer(
          "webhook.crm.writeback.tick-millis",
          200,
          1,
          3_600_000,
          "How often the write-back looks for records to send; flush-millis + tick-millis bounds"
              + " the delay to Salesforce.");

  public static final Key<Integer> INTERIM_DELAY_MILLIS =
      Key.integer(
          "webhook.crm.writeback.interim-delay-millis",
          5000,
          0,
          3_600_000,
          "Longest a message record whose status is still interim (queued, sending, sent; a"
              + " call's ringing, in-progress) waits for a later status before it is written"
              + " anyway: a message whose final status comes within it costs one Salesforce write"
              + " instead of one per status. Final statuses go at once; 0 writes every status.");

  public static final Key<Integer> BATCH_SIZE =
      Key.integer(
          "webhook.crm.writeback.batch-size",
          200,
          1,
          200,
          "Records per sObject Collections call (Salesforce allows at most 200).");
  public static final Key<Integer> INITIAL_BACKOFF_MILLIS =
      Key.integer(
          "webhook.crm.writeback.initial-backoff-millis",
          1000,
          10,
          3_600_000,
          "First pause after a failed Salesforce call; doubles per failure in a row.");
  public static final Key<Integer> MAX_BACKOFF_MILLIS =
      Key.integer(
          "webhook.crm.writeback.max-backoff-millis",
          60_000,
          10,
          3_600_000,
          "Longest pause between Salesforce retries.");
  public static final Key<String> LOOKUP_PHONE_FIELDS =
      Key.string(
          "webhook.crm.lookup.phone-fields",
          "Contact=MobilePhone|Phone,Lead=MobilePhone|Phone",
          "Objects and phone fields searched (SOQL) for a reply no outbound message links:"
              + " Object=Field|Field,...");

  public static final Key<Duration> LEASE =
      Key.duration(
          "webhook.crm.writeback.lease",
          "2m",
          "How long a replica holds the message records and CRM actions it claimed for a"
              + " Salesforce call before another replica may take them over (only after a crash:"
              + " a recorded result clears the lease). Longer than the slowest call.");

  public static final List<Key<?>> KEYS =
      List.of(
          ENABLED,
          FLUSH_MILLIS,
          TICK_MILLIS,
          INTERIM_DELAY_MILLIS,
          BATCH_SIZE,
          INITIAL_BACKOFF_MILLIS,
          MAX_BACKOFF_MILLIS,
          LEASE,
          LOOKUP_PHONE_FIELDS);

  public static WritebackSettings from(Function<String, String> lookup) {
    Settings s = new Settings(lookup);
    FLUSH_MILLIS.read(s);
    TICK_MILLIS.read(s);
    return new WritebackSettings(
        ENABLED.read(s),
        BATCH_SIZE.read(s),
        Duration.ofMillis(INITIAL_BACKOFF_MILLIS.read(s)),
        Duration.ofMillis(MAX_BACKOFF_MILLIS.read(s)),
        LOOKUP_PHONE_FIELDS.read(s),
        LEASE.read(s),
        Duration.ofMillis(INTERIM_DELAY_MILLIS.read(s)));
  }
}
