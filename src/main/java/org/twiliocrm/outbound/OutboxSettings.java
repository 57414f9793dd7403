package org.twiliocrm.outbound;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.Function;
import org.twiliocrm.config.ConfigException;
import org.twiliocrm.config.Settings;

/**
 * The outbox's typed settings (keys under {@code outbox.*} in application.properties). Read once at
 * start-up; a bad value stops the connector with a message naming the key.
 *
 * @param enabled whether the outbox routes claim and send at all
 * @param instanceId this process's name in lease_owner and the attempt log
 * @param batchSize most rows one claim statement takes
 * @param maxInFlight most rows claimed and not yet recorded (queued, sending, or waiting for the
 *     result writer)
 * @param pollInterval how often to look for due rows when no NOTIFY arrives (the safety net)
 * @param lease how long a claim holds a row before another instance may take it over
 * @param listen on PostgreSQL, whether LISTEN/NOTIFY wakes the claimer
 * @param maxAttempts send attempts before a transiently failing row becomes FAILED
 * @param backoffInitial first retry delay; doubles per attempt, with full jitter
 * @param backoffMax retry delay ceiling
 * @param defaultRegion region for numbers written without a country code
 * @param maxSegments a policy cap on SMS segments per body (cost control); 0 = none, only Twilio's
 *     own limit of 1,600 characters applies
 * @param statusCallbackUrl StatusCallback sent with every message and call; null for none
 * @param verifyServiceSid the Verify service (VA...) for channel verify; null disables verify rows
 * @param reconcileWindow how far back a reconciliation looks for a message in Twilio
 * @param reconcileDelay how long after an ambiguous send to look it up (Twilio's list is eventually
 *     consistent)
 * @param reconcilePolicy what an ambiguous outcome leads to, per channel
 * @param templatesLocation YAML file of message templates (file path or classpath:...)
 * @param recordBatchSize most results written in one database transaction
 * @param sendConcurrency most Twilio requests at once (the send route's consumers); Twilio allows
 *     about 100 per account
 */
public record OutboxSettings(
    boolean enabled,
    String instanceId,
    int batchSize,
    int maxInFlight,
    Duration pollInterval,
    Duration lease,
    boolean listen,
    int maxAttempts,
    Duration backoffInitial,
    Duration backoffMax,
    String defaultRegion,
    int maxSegments,
    String statusCallbackUrl,
    String verifyServiceSid,
    Duration reconcileWindow,
    Duration reconcileDelay,
    Map<Channel, ReconcilePolicy> reconcilePolicy,
    String templatesLocation,
    int recordBatchSize,
    int sendConcurrency) {

  public static OutboxSettings from(Function<String, String> lookup) {
    try {
      return read(new Settings(lookup));
    } catch (ConfigException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  private static OutboxSettings read(Settings s) {
    Map<Channel, ReconcilePolicy> policy = new EnumMap<>(Channel.class);
    for (Channel c : Channel.values()) {
      ReconcilePolicy def =
          c == Channel.VERIFY ? ReconcilePolicy.NEVER_RESEND : ReconcilePolicy.LOOKUP_THEN_RESEND;
      policy.put(
          c, s.enumeration("outbox.reconcile.policy." + c.column(), ReconcilePolicy.class, def));
    }
    String verify =
        s.matching(
            "outbox.verify.service-sid", "VA[0-9a-fA-F]{32}", "VA followed by 32 hex digits");
    Duration lease = s.duration("outbox.lease", Duration.ofSeconds(60));
    if (lease.toMillis() < 1000) {
      throw new IllegalArgumentException("outbox.lease: must be at least 1s, got " + lease);
    }
    return new OutboxSettings(
        s.bool("outbox.enabled", true),
        s.string("outbox.instance-id", ManagementFactory.getRuntimeMXBean().getName()),
        s.integer("outbox.batch-size", 200, 1, 10_000),
        s.integer("outbox.max-in-flight", 300, 1, 10_000),
        s.duration("outbox.poll-interval", Duration.ofSeconds(1)),
        lease,
        s.bool("outbox.listen", true),
        s.integer("outbox.max-attempts", 5, 1, 100),
        s.duration("outbox.backoff.initial", Duration.ofSeconds(1)),
        s.duration("outbox.backoff.max", Duration.ofMinutes(5)),
        s.string("outbox.default-region", "US"),
        s.integer("outbox.max-segments", 0, 0, 100),
        s.httpUrl("outbox.status-callback-url", null),
        verify,
        s.duration("outbox.reconcile.window", Duration.ofMinutes(10)),
        s.duration("outbox.reconcile.delay", Duration.ofSeconds(2)),
        Map.copyOf(policy),
        s.string("outbox.templates.location", "classpath:outbound/templates.yaml"),
        s.integer("outbox.record.batch-size", 500, 1, 10_000),
        s.integer("outbox.send-concurrency", 100, 1, 1_000));
  }
}
