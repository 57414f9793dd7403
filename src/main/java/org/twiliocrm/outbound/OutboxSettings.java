package org.twiliocrm.outbound;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.twiliocrm.config.ConfigException;
import org.twiliocrm.config.Key;
import org.twiliocrm.config.Settings;
import org.twiliocrm.governance.Channel;

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
 * @param statusCallbackUrl StatusCallback sent with every message and call; null for none (also
 *     when {@code outbox.status-callbacks.enabled=false})
 * @param callStatusCallbackUrl StatusCallback of calls; the message one when not set
 * @param verifyServiceSid the Verify service (VA...) for channel verify; null disables verify rows
 * @param reconcileWindow how far back a reconciliation looks for a message in Twilio
 * @param reconcileDelay how long after an ambiguous send to look it up (Twilio's list is eventually
 *     consistent)
 * @param reconcilePolicy what an ambiguous outcome leads to, per channel
 * @param templatesLocation directory (or file) of message templates; the packaged copy if absent
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
    String callStatusCallbackUrl,
    String verifyServiceSid,
    Duration reconcileWindow,
    Duration reconcileDelay,
    Map<Channel, ReconcilePolicy> reconcilePolicy,
    String templatesLocation,
    int recordBatchSize,
    int sendConcurrency) {

  // Each key declared once: name, default, range and description (the reference and
  // application.properties are checked against these, see ConfigReferenceTest).
  public static final Key<Boolean> ENABLED =
      Key.bool(
          "outbox.enabled", true, "Whether this instance claims and sends outbox rows at all.");
  public static final Key<String> INSTANCE_ID =
      Key.string(
          "outbox.instance-id",
          "",
          "Name of this instance in lease_owner and the attempt log (default: pid@host).");
  public static final Key<Integer> BATCH_SIZE =
      Key.integer("outbox.batch-size", 200, 1, 10_000, "Most rows one claim statement takes.");
  public static final Key<Integer> MAX_IN_FLIGHT =
      Key.integer(
          "outbox.max-in-flight",
          300,
          1,
          10_000,
          "Most rows claimed and not yet recorded (queued for a send slot, sending, or waiting for"
              + " the result writer). Larger than outbox.send-concurrency, so every send slot has a"
              + " row ready while results are being written.");
  public static final Key<Integer> SEND_CONCURRENCY =
      Key.integer(
          "outbox.send-concurrency",
          100,
          1,
          1_000,
          "Most Twilio requests at once: the send route's consumers (Twilio allows about 100"
              + " concurrent requests per account).");
  public static final Key<Duration> POLL_INTERVAL =
      Key.duration(
          "outbox.poll-interval",
          "1s",
          "How often to look for due rows when no NOTIFY arrives (the safety net; retries and"
              + " send_after are found this way).");
  public static final Key<Duration> LEASE =
      Key.custom(
          "outbox.lease",
          "duration",
          "60s",
          "at least 1s",
          "How long a claim holds a row; after it runs out another instance takes the row over and"
              + " reconciles it.",
          (s, k) -> {
            Duration lease = s.duration(k.name(), Duration.ofSeconds(60));
            if (lease.toMillis() < 1000) {
              throw new ConfigException(k.name(), "must be at least 1s, got " + lease);
            }
            return lease;
          });
  public static final Key<Boolean> LISTEN =
      Key.bool(
          "outbox.listen",
          true,
          "On PostgreSQL, wake the claimer with LISTEN/NOTIFY (a trigger on insert) instead of"
              + " waiting for the poll.");
  public static final Key<Integer> MAX_ATTEMPTS =
      Key.integer(
          "outbox.max-attempts",
          5,
          1,
          100,
          "Send attempts before a row that keeps failing transiently (429, 503, connect errors)"
              + " becomes FAILED.");
  public static final Key<Duration> BACKOFF_INITIAL =
      Key.duration(
          "outbox.backoff.initial", "1s", "First retry delay; doubles per attempt, with jitter.");
  public static final Key<Duration> BACKOFF_MAX =
      Key.duration("outbox.backoff.max", "5m", "Longest retry delay.");
  public static final Key<String> DEFAULT_REGION =
      Key.string(
          "outbox.default-region",
          "US",
          "Region for phone numbers written without a country code (ISO 3166, e.g. US, GB, DE).");
  public static final Key<Integer> MAX_SEGMENTS =
      Key.integer(
          "outbox.max-segments",
          0,
          0,
          100,
          "Policy cap on SMS segments per body, for cost (GSM-7: 153 chars a segment, UCS-2: 67);"
              + " 0 = none: Twilio's own 1,600-character limit applies.");
  public static final Key<String> STATUS_CALLBACK_URL =
      Key.httpUrl(
          "outbox.status-callback-url",
          "",
          "StatusCallback URL sent with every message and call; empty:"
              + " <connector.public-url>/webhooks/twilio/message-status.");
  public static final Key<Boolean> STATUS_CALLBACKS_ENABLED =
      Key.bool(
          "outbox.status-callbacks.enabled",
          true,
          "Ask Twilio for status callbacks on every message and call; false: none are asked for"
              + " (the outbox benchmark's baseline, or a deployment that reads statuses another"
              + " way).");
  public static final Key<String> CALL_STATUS_CALLBACK_URL =
      Key.httpUrl(
          "outbox.call-status-callback-url",
          "",
          "StatusCallback URL of outbox calls (voice); empty:"
              + " <connector.public-url>/webhooks/twilio/call-status.");
  public static final Key<String> VERIFY_SERVICE_SID =
      Key.matching(
          "outbox.verify.service-sid",
          "VA[0-9a-fA-F]{32}",
          "VA followed by 32 hex digits",
          "Verify service SID (VA...) used for channel=verify rows; empty makes verify rows fail"
              + " with VERIFY_NOT_CONFIGURED.");
  public static final Key<Duration> RECONCILE_WINDOW =
      Key.duration(
          "outbox.reconcile.window",
          "10m",
          "How far back a reconciliation looks for a message in Twilio.");
  public static final Key<Duration> RECONCILE_DELAY =
      Key.duration(
          "outbox.reconcile.delay",
          "2s",
          "How long after an ambiguous send the row is looked up in Twilio.");
  public static final Map<Channel, Key<ReconcilePolicy>> RECONCILE_POLICY =
      Map.of(
          Channel.SMS, policy(Channel.SMS, "SMS"),
          Channel.MMS, policy(Channel.MMS, "MMS"),
          Channel.WHATSAPP, policy(Channel.WHATSAPP, "WhatsApp message"),
          Channel.VOICE, policy(Channel.VOICE, "voice call"),
          Channel.VERIFY,
              Key.enumeration(
                  "outbox.reconcile.policy.verify",
                  ReconcilePolicy.class,
                  ReconcilePolicy.NEVER_RESEND,
                  "Ambiguous Verify: an OTP is never sent twice, so never-resend."));
  public static final Key<String> TEMPLATES_LOCATION =
      Key.string(
          "outbox.templates.location",
          "templates",
          "Directory of message template files (*.yaml; see docs/templates.md), or one file;"
              + " when it does not exist, the copy packaged in the jar.");
  public static final Key<Integer> RECORD_BATCH_SIZE =
      Key.integer(
          "outbox.record.batch-size",
          500,
          1,
          10_000,
          "Most results written to the database in one transaction.");

  /** Every outbox key, in the order application.properties lists them. */
  public static final List<Key<?>> KEYS =
      List.of(
          ENABLED,
          INSTANCE_ID,
          BATCH_SIZE,
          MAX_IN_FLIGHT,
          SEND_CONCURRENCY,
          POLL_INTERVAL,
          LEASE,
          LISTEN,
          MAX_ATTEMPTS,
          BACKOFF_INITIAL,
          BACKOFF_MAX,
          DEFAULT_REGION,
          MAX_SEGMENTS,
          STATUS_CALLBACK_URL,
          STATUS_CALLBACKS_ENABLED,
          CALL_STATUS_CALLBACK_URL,
          VERIFY_SERVICE_SID,
          RECONCILE_WINDOW,
          RECONCILE_DELAY,
          RECONCILE_POLICY.get(Channel.SMS),
          RECONCILE_POLICY.get(Channel.MMS),
          RECONCILE_POLICY.get(Channel.WHATSAPP),
          RECONCILE_POLICY.get(Channel.VOICE),
          RECONCILE_POLICY.get(Channel.VERIFY),
          TEMPLATES_LOCATION,
          RECORD_BATCH_SIZE);

  private static Key<ReconcilePolicy> policy(Channel c, String what) {
    return Key.enumeration(
        "outbox.reconcile.policy." + c.column(),
        ReconcilePolicy.class,
        ReconcilePolicy.LOOKUP_THEN_RESEND,
        "Ambiguous " + what + ": lookup-then-resend, lookup-then-fail or never-resend.");
  }

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
      policy.put(c, RECONCILE_POLICY.get(c).read(s));
    }
    boolean callbacks = STATUS_CALLBACKS_ENABLED.read(s);
    String statusCallback = callbacks ? STATUS_CALLBACK_URL.read(s) : null;
    String callStatusCallback = callbacks ? CALL_STATUS_CALLBACK_URL.read(s) : null;
    return new OutboxSettings(
        ENABLED.read(s),
        Objects.requireNonNullElseGet(
            INSTANCE_ID.read(s), () -> ManagementFactory.getRuntimeMXBean().getName()),
        BATCH_SIZE.read(s),
        MAX_IN_FLIGHT.read(s),
        POLL_INTERVAL.read(s),
        LEASE.read(s),
        LISTEN.read(s),
        MAX_ATTEMPTS.read(s),
        BACKOFF_INITIAL.read(s),
        BACKOFF_MAX.read(s),
        DEFAULT_REGION.read(s),
        MAX_SEGMENTS.read(s),
        statusCallback,
        // Calls report to the message callback unless told otherwise.
        callStatusCallback != null ? callStatusCallback : statusCallback,
        VERIFY_SERVICE_SID.read(s),
        RECONCILE_WINDOW.read(s),
        RECONCILE_DELAY.read(s),
        Map.copyOf(policy),
        TEMPLATES_LOCATION.read(s),
        RECORD_BATCH_SIZE.read(s),
        SEND_CONCURRENCY.read(s));
  }
}
