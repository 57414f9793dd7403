package org.twiliocrm.crm.events;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.twiliocrm.config.ConfigException;
import org.twiliocrm.config.Key;
import org.twiliocrm.config.Settings;

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

  // Each key declared once: name, default, range and description (the reference and
  // application.properties are checked against these, see ConfigReferenceTest).
  public static final Key<Boolean> ENABLED =
      Key.bool(
          P + "enabled",
          true,
          "Run the platform-event and record-change subscriptions (on the leader only, see"
              + " leader.mode).");
  public static final Key<String> PLATFORM_EVENT_TOPIC =
      topic(
          "platform-event-topic",
          "/event/Send_Message__e",
          "/event/",
          "Platform event channel whose events become outbox rows (fields: docs/crm-events.md).");
  public static final Key<String> CHANGE_EVENT_TOPIC =
      topic(
          "change-event-topic",
          "/data/ChangeEvents",
          "/data/",
          "Change Data Capture channel: /data/ChangeEvents (all enabled objects) or e.g."
              + " /data/CaseChangeEvent.");
  public static final Key<Long> INITIAL_REPLAY_ID =
      replayId(
          "initial-replay-id",
          -1,
          "Where to start when no replay id is stored yet: -1 only new events, -2 every retained"
              + " event.");
  public static final Key<Long> FALLBACK_REPLAY_ID =
      replayId(
          "fallback-replay-id",
          -2,
          "Where to resume when the stored replay id is past Salesforce's retention (-2 all"
              + " retained, -1 new only).");
  public static final Key<String> RULES_LOCATION =
      Key.string(
          P + "rules-location",
          "rules/crm-send-rules.yaml",
          "YAML rules deciding which record changes send what (a file path, the packaged copy when"
              + " it does not exist; or classpath:...).");
  public static final Key<String> DEFAULT_CHANNEL =
      Key.custom(
          P + "default-channel",
          "string",
          "sms",
          "sms, mms, whatsapp, voice",
          "Channel used when an event or rule names none (sms, mms, whatsapp, voice).",
          (s, k) -> {
            String channel = k.rawOrDefault(s).toLowerCase(Locale.ROOT);
            if (!SendChannel.isKnown(channel)) {
              throw new ConfigException(
                  k.name(), "must be one of " + SendChannel.KNOWN + ", got '" + channel + "'");
            }
            return channel;
          });
  public static final Key<Map<String, String>> PHONE_FIELDS =
      Key.custom(
          P + "phone-fields",
          "list",
          "003=Contact.MobilePhone,00Q=Lead.MobilePhone",
          "prefix=Object.Field,...",
          "Record id key prefix -> Object.PhoneField used to find a recipient from a record id.",
          (s, k) -> phoneFields(k.rawOrDefault(s)));
  public static final Key<String> SENDER =
      Key.custom(
          P + "sender",
          "string",
          "",
          "E.164 number, whatsapp:+number or MG... SID",
          "From of CRM-triggered messages: E.164 number, whatsapp:+number or Messaging Service SID"
              + " (MG...); empty = none.",
          (s, k) -> sender(s.raw(k.name())));
  public static final Key<Boolean> WRITE_BACK =
      Key.bool(
          P + "write-back",
          true,
          "Write the reason of a rejected event back to its CRM record as a completed Task.");
  public static final Key<Integer> MAX_REDELIVERIES =
      Key.integer(
          P + "max-redeliveries",
          20,
          -1,
          Integer.MAX_VALUE,
          "Retries of one event on database/Salesforce errors before it is given up (-1 ="
              + " forever).");
  public static final Key<String> LEADER_MODE =
      Key.custom(
          P + "leader.mode",
          "enum",
          "none",
          "none, file, kubernetes",
          "Leader election among replicas: none (this process subscribes), file"
              + " (FileLockClusterService) or kubernetes (a Lease).",
          (s, k) -> {
            String mode = k.rawOrDefault(s).toLowerCase(Locale.ROOT);
            if (!mode.equals("none") && !mode.equals("file") && !mode.equals("kubernetes")) {
              throw new ConfigException(
                  k.name(), "must be none, file or kubernetes, got '" + mode + "'");
            }
            return mode;
          });
  public static final Key<String> LEADER_ROOT =
      Key.string(
          P + "leader.root",
          "data/cluster",
          "Directory holding the leader lock file; all replicas on the host must share it.");
  public static final Key<Duration> LEADER_INTERVAL =
      Key.duration(
          P + "leader.interval",
          "2s",
          "How often the lock is tried and the leader's heartbeat written (500ms, 2s, ...).");
  public static final Key<Integer> LEADER_HEARTBEAT_MULTIPLIER =
      Key.integer(
          P + "leader.heartbeat-multiplier",
          5,
          2,
          100,
          "Missed heartbeats after which a follower takes over from a dead leader.");
  public static final Key<String> LEADER_K8S_NAMESPACE =
      Key.string(
          P + "leader.kubernetes.namespace",
          "",
          "Namespace of the leader Lease (leader.mode=kubernetes); empty = the pod's own.");
  public static final Key<String> LEADER_K8S_MASTER_URL =
      Key.httpUrl(
          P + "leader.kubernetes.master-url",
          "",
          "Kubernetes API server of the leader Lease; empty = the in-cluster configuration.");
  public static final Key<String> LEADER_K8S_LEASE_NAME =
      Key.custom(
          P + "leader.kubernetes.lease-name",
          "string",
          "twilio-crm-connector",
          "lower-case DNS label",
          "Prefix of the leader Lease's name (the Lease is <lease-name>-crm-events).",
          (s, k) -> {
            String name = k.rawOrDefault(s);
            if (!name.matches("[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?")) {
              throw new ConfigException(
                  k.name(), "must be a lower-case DNS label (a-z, 0-9, -), got '" + name + "'");
            }
            return name;
          });

  /** Every crm.events key, in the order application.properties lists them. */
  public static final List<Key<?>> KEYS =
      List.of(
          ENABLED,
          PLATFORM_EVENT_TOPIC,
          CHANGE_EVENT_TOPIC,
          INITIAL_REPLAY_ID,
          FALLBACK_REPLAY_ID,
          RULES_LOCATION,
          DEFAULT_CHANNEL,
          PHONE_FIELDS,
          SENDER,
          WRITE_BACK,
          MAX_REDELIVERIES,
          LEADER_MODE,
          LEADER_ROOT,
          LEADER_INTERVAL,
          LEADER_HEARTBEAT_MULTIPLIER,
          LEADER_K8S_NAMESPACE,
          LEADER_K8S_MASTER_URL,
          LEADER_K8S_LEASE_NAME);

  public static CrmEventsSettings defaults() {
    return from(k -> null);
  }

  /**
   * Reads every key through {@code lookup} (null or blank = default).
   *
   * @throws IllegalArgumentException naming the key when a value is invalid
   */
  public static CrmEventsSettings from(Function<String, String> lookup) {
    Settings s = new Settings(lookup);
    String leaderMode = LEADER_MODE.read(s);
    String masterUrl = LEADER_K8S_MASTER_URL.read(s);
    String leaseName = LEADER_K8S_LEASE_NAME.read(s);
    String channel = DEFAULT_CHANNEL.read(s);
    return new CrmEventsSettings(
        ENABLED.read(s),
        PLATFORM_EVENT_TOPIC.read(s),
        CHANGE_EVENT_TOPIC.read(s),
        INITIAL_REPLAY_ID.read(s),
        FALLBACK_REPLAY_ID.read(s),
        RULES_LOCATION.read(s),
        channel,
        PHONE_FIELDS.read(s),
        SENDER.read(s),
        WRITE_BACK.read(s),
        MAX_REDELIVERIES.read(s),
        leaderMode,
        LEADER_ROOT.read(s),
        LEADER_INTERVAL.read(s),
        LEADER_HEARTBEAT_MULTIPLIER.read(s),
        new KubernetesLease(LEADER_K8S_NAMESPACE.read(s), masterUrl, leaseName));
  }

  private static Key<String> topic(String key, String def, String pfx, String description) {
    return Key.custom(
        P + key,
        "string",
        def,
        "a channel starting with " + pfx,
        description,
        (s, k) -> {
          String v = k.rawOrDefault(s);
          if (!v.startsWith(pfx) || v.length() <= pfx.length()) {
            throw new ConfigException(
                k.name(), "must be a channel starting with " + pfx + ", got '" + v + "'");
          }
          return v;
        });
  }

  private static Key<Long> replayId(String key, long def, String description) {
    return Key.custom(
        P + key,
        "integer",
        String.valueOf(def),
        "-1, -2",
        description,
        (s, k) -> {
          String raw = s.raw(k.name());
          long v = def;
          if (raw != null) {
            try {
              v = Long.parseLong(raw);
            } catch (NumberFormatException e) {
              v = Long.MIN_VALUE;
            }
          }
          if (v != -1 && v != -2) {
            throw new ConfigException(
                k.name(),
                "must be -1 (new events only) or -2 (all retained events), got '" + raw + "'");
          }
          return v;
        });
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
