package org.twiliocrm.crm.events;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Typed settings of the CRM-events flows ({@code crm.events.*} keys).
 *
 * @param enabled whether the two subscription routes run at all
 * @param platformEventTopic the platform event channel, e.g. {@code /event/Send_Message__e}
 * @param changeEventTopic the Change Data Capture channel, e.g. {@code /data/ChangeEvents} (all
 *     enabled objects) or {@code /data/CaseChangeEvent}
 * @param initialReplayId replay id used for a channel with nothing stored yet (-1 = only new
 *     events, -2 = every retained event)
 * @param fallbackReplayId replay id used when the stored one is older than the org's retention
 * @param rulesLocation YAML file of record-change rules ({@code classpath:...} or a file path)
 * @param defaultChannel Twilio channel when an event leaves Channel__c empty
 * @param phoneFields which field holds the mobile phone, per record id key prefix (003 Contact, 00Q
 *     Lead, ...), as {@code prefix -> Object.Field}
 * @param sender the From of CRM-triggered messages: an E.164 number, a whatsapp: address or a
 *     Messaging Service SID (MG...); null = rows carry none (the outbox then needs one)
 * @param writeBack whether a rejected event's reason is written back to its CRM record (a Task)
 * @param maxRedeliveries retries of one event on database/Salesforce errors before it is recorded
 *     as PROCESSING_FAILED (-1 = forever); the routes' redelivery policy and the group commit
 * @param leaderMode {@code none} (this process always subscribes), {@code file}
 *     (FileLockClusterService: one subscriber among the processes sharing {@code leaderRoot}) or
 *     {@code kubernetes} (KubernetesClusterService: one subscriber among the pods holding a Lease)
 * @param leaderRoot directory of the file lock (must be shared by all replicas on the host)
 * @param leaderInterval how often the lock is tried / the leader heartbeats
 * @param leaderHeartbeatMultiplier missed heartbeats after which a follower takes over
 * @param kubernetes where the Lease lives, for {@code leaderMode=kubernetes}
 */
public record CrmEventsSettings(
    boolean enabled,
    String platformEventTopic,
    String changeEventTopic,
    long initialReplayId,
    long fallbackReplayId,
    String rulesLocation,
    String defaultChannel,
    Map<String, String> phoneFields,
    String sender,
    boolean writeBack,
    int maxRedeliveries,
    String leaderMode,
    String leaderRoot,
    Duration leaderInterval,
    int leaderHeartbeatMultiplier,
    KubernetesLease kubernetes) {

  /**
   * The Lease of {@code crm.events.leader.mode=kubernetes}.
   *
   * @param namespace namespace of the Lease; null = the pod's own (service account or {@code
   *     KUBERNETES_NAMESPACE})
   * @param masterUrl API server; null = the in-cluster configuration
   * @param leaseName prefix of the Lease's name (the Lease is {@code <leaseName>-crm-events})
   */
  public record KubernetesLease(String namespace, String masterUrl, String leaseName) {}

  static final String P = "crm.events.";

  public static CrmEventsSettings defaults() {
    return from(k -> null);
  }

  /**
   * Reads every key through {@code lookup} (null or blank = default).
   *
   * @throws IllegalArgumentException naming the key when a value is invalid
   */
  public static CrmEventsSettings from(Function<String, String> lookup) {
    Function<String, String> get =
        k -> {
          String v = lookup.apply(P + k);
          return v == null || v.isBlank() ? null : v.trim();
        };
    org.twiliocrm.config.Settings typed = new org.twiliocrm.config.Settings(lookup);
    String leaderMode = or(get.apply("leader.mode"), "none").toLowerCase(Locale.ROOT);
    if (!leaderMode.equals("none")
        && !leaderMode.equals("file")
        && !leaderMode.equals("kubernetes")) {
      throw new IllegalArgumentException(
          P + "leader.mode: must be none, file or kubernetes, got '" + leaderMode + "'");
    }
    String masterUrl = typed.httpUrl(P + "leader.kubernetes.master-url", null);
    String leaseName = or(get.apply("leader.kubernetes.lease-name"), "twilio-crm-connector");
    if (!leaseName.matches("[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?")) {
      throw new IllegalArgumentException(
          P
              + "leader.kubernetes.lease-name: must be a lower-case DNS label (a-z, 0-9, -), got '"
              + leaseName
              + "'");
    }
    String channel = or(get.apply("default-channel"), "sms").toLowerCase(Locale.ROOT);
    if (!SendChannel.isKnown(channel)) {
      throw new IllegalArgumentException(
          P + "default-channel: must be one of " + SendChannel.KNOWN + ", got '" + channel + "'");
    }
    return new CrmEventsSettings(
        typed.bool(P + "enabled", true),
        topic(get, "platform-event-topic", "/event/Send_Message__e", "/event/"),
        topic(get, "change-event-topic", "/data/ChangeEvents", "/data/"),
        replayId(get, "initial-replay-id", -1),
        replayId(get, "fallback-replay-id", -2),
        or(get.apply("rules-location"), "classpath:crm-events/crm-send-rules.yaml"),
        channel,
        phoneFields(or(get.apply("phone-fields"), "003=Contact.MobilePhone,00Q=Lead.MobilePhone")),
        sender(get.apply("sender")),
        typed.bool(P + "write-back", true),
        typed.integer(P + "max-redeliveries", 20, -1, Integer.MAX_VALUE),
        leaderMode,
        or(get.apply("leader.root"), "data/cluster"),
        typed.duration(P + "leader.interval", Duration.ofSeconds(2)),
        typed.integer(P + "leader.heartbeat-multiplier", 5, 2, 100),
        new KubernetesLease(get.apply("leader.kubernetes.namespace"), masterUrl, leaseName));
  }

  private static String or(String v, String def) {
    return v == null ? def : v;
  }

  private static String topic(Function<String, String> get, String key, String def, String pfx) {
    String v = or(get.apply(key), def);
    if (!v.startsWith(pfx) || v.length() <= pfx.length()) {
      throw new IllegalArgumentException(
          P + key + ": must be a channel starting with " + pfx + ", got '" + v + "'");
    }
    return v;
  }

  private static long replayId(Function<String, String> get, String key, long def) {
    long v = def;
    String raw = get.apply(key);
    if (raw != null) {
      try {
        v = Long.parseLong(raw);
      } catch (NumberFormatException e) {
        v = Long.MIN_VALUE;
      }
    }
    if (v != -1 && v != -2) {
      throw new IllegalArgumentException(
          P
              + key
              + ": must be -1 (new events only) or -2 (all retained events), got '"
              + raw
              + "'");
    }
    return v;
  }

  private static String sender(String v) {
    if (v != null && !v.matches("(whatsapp:)?\\+[1-9][0-9]{6,14}|MG[0-9a-fA-F]{32}")) {
      throw new IllegalArgumentException(
          P + "sender: must be an E.164 number, whatsapp:+number or MG... SID, got '" + v + "'");
    }
    return v;
  }

  static Map<String, String> phoneFields(String spec) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String part : spec.split(",")) {
      String[] kv = part.trim().split("=", 2);
      if (kv.length != 2
          || !kv[0].trim().matches("[0-9A-Za-z]{3}")
          || !kv[1].trim().matches("[A-Za-z0-9_]+\\.[A-Za-z0-9_]+")) {
        throw new IllegalArgumentException(
            P
                + "phone-fields: expected prefix=Object.Field[,...] e.g. 003=Contact.MobilePhone,"
                + " got '"
                + part.trim()
                + "'");
      }
      out.put(kv[0].trim(), kv[1].trim());
    }
    return Map.copyOf(out);
  }
}
