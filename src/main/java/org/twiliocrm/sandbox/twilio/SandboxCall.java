package org.twiliocrm.sandbox.twilio;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A call the sandbox places, with what the handset heard and keyed in. */
final class SandboxCall {
  final String sid;
  final String accountSid;
  final String from;
  final String to;
  final String url;
  final String twiml;
  final String statusCallback;
  final Set<String> callbackEvents;
  final String machineDetection;
  final Instant dateCreated = Instant.now();

  private String status = "queued";
  private String answeredBy;
  private Instant startTime;
  private Instant endTime;
  private Instant dateUpdated = dateCreated;
  private int sequence;
  private final List<Event> events = new ArrayList<>();

  /** The Twilio Region the call was created in (ie1, ...); null = us1. Signs its callbacks. */
  volatile String region;

  /** Who signs the callbacks: the account, or {@code AC...@ie1} for a regional call. */
  String signer() {
    return region == null ? accountSid : accountSid + "@" + region;
  }

  private final List<String> said = new ArrayList<>();
  private final List<Map<String, Object>> gathers = new ArrayList<>();

  /** The Gather waiting for digits: action URL and the verbs after it; null when none waits. */
  Runnable pendingGatherTimeout;

  java.util.function.Consumer<String> pendingGather;

  SandboxCall(
      String sid,
      String accountSid,
      String from,
      String to,
      String url,
      String twiml,
      String statusCallback,
      Set<String> callbackEvents,
      String machineDetection) {
    this.sid = sid;
    this.accountSid = accountSid;
    this.from = from;
    this.to = to;
    this.url = url;
    this.twiml = twiml;
    this.statusCallback = statusCallback;
    this.callbackEvents = callbackEvents;
    this.machineDetection = machineDetection;
    events.add(Event.of("status", "status", status));
  }

  static boolean isFinal(String s) {
    return switch (s) {
      case "completed", "busy", "failed", "no-answer", "canceled" -> true;
      default -> false;
    };
  }

  synchronized boolean moveTo(String newStatus) {
    if (isFinal(status)) {
      return false;
    }
    status = newStatus;
    dateUpdated = Instant.now();
    if ("in-progress".equals(newStatus)) {
      startTime = dateUpdated;
    }
    if (isFinal(newStatus)) {
      endTime = dateUpdated;
      pendingGather = null;
    }
    events.add(Event.of("status", "status", newStatus));
    return true;
  }

  synchronized int nextSequence() {
    return sequence++;
  }

  synchronized void answeredBy(String who) {
    answeredBy = who;
  }

  synchronized String answeredBy() {
    return answeredBy;
  }

  synchronized String status() {
    return status;
  }

  synchronized void record(Event e) {
    events.add(e);
  }

  synchronized void said(String text) {
    said.add(text);
    events.add(Event.of("say", "text", text));
  }

  synchronized void gathered(String prompt, String digits) {
    Map<String, Object> g = new LinkedHashMap<>();
    g.put("prompt", prompt);
    g.put("digits", digits);
    gathers.add(g);
    events.add(Event.of("gather", "prompt", prompt, "digits", digits));
  }

  synchronized long durationSeconds() {
    if (startTime == null) {
      return 0;
    }
    return Duration.between(startTime, endTime != null ? endTime : Instant.now()).toSeconds();
  }

  synchronized Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("account_sid", accountSid);
    m.put("answered_by", answeredBy);
    m.put("api_version", "2010-04-01");
    m.put("caller_name", null);
    m.put("date_created", Wire.rfc2822(dateCreated));
    m.put("date_updated", Wire.rfc2822(dateUpdated));
    m.put("direction", "outbound-api");
    m.put("duration", endTime == null ? null : String.valueOf(durationSeconds()));
    m.put("end_time", Wire.rfc2822(endTime));
    m.put("forwarded_from", null);
    m.put("from", from);
    m.put("from_formatted", from);
    m.put("group_sid", null);
    m.put("parent_call_sid", null);
    m.put("phone_number_sid", null);
    m.put("price", null);
    m.put("price_unit", "USD");
    m.put("sid", sid);
    m.put("start_time", Wire.rfc2822(startTime));
    m.put("status", status);
    String uri = "/2010-04-01/Accounts/" + accountSid + "/Calls/" + sid;
    Map<String, Object> sub = new LinkedHashMap<>();
    sub.put("notifications", uri + "/Notifications.json");
    sub.put("recordings", uri + "/Recordings.json");
    m.put("subresource_uris", sub);
    m.put("to", to);
    m.put("to_formatted", to);
    m.put("trunk_sid", null);
    m.put("uri", uri + ".json");
    m.put("queue_time", "0");
    return m;
  }

  /** What the handset saw of this call. */
  synchronized Map<String, Object> forHandset() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("callSid", sid);
    m.put("from", from);
    m.put("status", status);
    m.put("answeredBy", answeredBy);
    m.put("said", List.copyOf(said));
    m.put("gathers", List.copyOf(gathers));
    m.put("awaitingDigits", pendingGather != null);
    return m;
  }

  synchronized Map<String, Object> toInspection() {
    Map<String, Object> m = toJson();
    m.put("url", url);
    m.put("twiml", twiml);
    m.put("status_callback", statusCallback);
    m.put("said", List.copyOf(said));
    m.put("gathers", List.copyOf(gathers));
    m.put("events", events.stream().map(Event::toMap).toList());
    return m;
  }
}
