package org.twiliocrm.sandbox.twilio;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A message the sandbox holds, outbound or inbound, with its event history. */
final class SandboxMessage {
  final String sid;
  final String accountSid;
  final String from;
  final String to;

  /** Mutable only by redaction (an update to an empty Body). */
  private String body;

  final List<String> mediaUrls;
  final String messagingServiceSid;
  final String statusCallback;
  final String direction;
  final String contentSid;
  final Instant dateCreated;
  final Instant sendAt;

  private String status;
  private Integer errorCode;
  private String errorMessage;
  private Instant dateSent;
  private Instant dateUpdated;
  private final List<Event> events = new ArrayList<>(6);

  /**
   * The Twilio Region the message was created in (from the API host, e.g. ie1); null = us1. Its
   * status callbacks are signed with that region's auth token.
   */
  volatile String region;

  /**
   * The {@link SandboxState} generation the message was stored in; -1 once deleted through the API.
   * Its life cycle goes on while this matches the state's (see {@link SandboxState#alive}).
   */
  volatile long generation;

  /** Who signs the callbacks: the account, or {@code AC...@ie1} for a regional message. */
  String signer() {
    return region == null ? accountSid : accountSid + "@" + region;
  }

  SandboxMessage(
      String sid,
      String accountSid,
      String from,
      String to,
      String body,
      List<String> mediaUrls,
      String messagingServiceSid,
      String statusCallback,
      String direction,
      String contentSid,
      Instant sendAt,
      String status) {
    this.sid = sid;
    this.accountSid = accountSid;
    this.from = from;
    this.to = to;
    this.body = body;
    this.mediaUrls = mediaUrls;
    this.messagingServiceSid = messagingServiceSid;
    this.statusCallback = statusCallback;
    this.direction = direction;
    this.contentSid = contentSid;
    this.sendAt = sendAt;
    this.dateCreated = Instant.now();
    this.dateUpdated = dateCreated;
    this.status = status;
    events.add(Event.of("status", "status", status));
  }

  /** A message read back from the state directory: its own dates, status and error. */
  SandboxMessage(
      Map<String, Object> saved, Instant dateCreated, Instant dateSent, Instant dateUpdated) {
    this.sid = (String) saved.get("sid");
    this.accountSid = (String) saved.get("account_sid");
    this.from = (String) saved.get("from");
    this.to = (String) saved.get("to");
    this.body = (String) saved.get("body");
    @SuppressWarnings("unchecked")
    List<String> media = (List<String>) saved.getOrDefault("media_urls", List.of());
    this.mediaUrls = List.copyOf(media);
    this.messagingServiceSid = (String) saved.get("messaging_service_sid");
    this.statusCallback = (String) saved.get("status_callback");
    this.direction = (String) saved.get("direction");
    this.contentSid = (String) saved.get("content_sid");
    this.sendAt = null;
    this.dateCreated = dateCreated;
    this.dateSent = dateSent;
    this.dateUpdated = dateUpdated;
    this.status = (String) saved.get("status");
    this.errorCode =
        saved.get("error_code") == null ? null : ((Number) saved.get("error_code")).intValue();
    this.errorMessage = (String) saved.get("error_message");
    events.add(Event.of("restored", "status", status));
  }

  /** What the state directory keeps of a message (see TwilioSandbox#saveState). */
  synchronized Map<String, Object> toSaved() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("sid", sid);
    m.put("account_sid", accountSid);
    m.put("from", from);
    m.put("to", to);
    m.put("body", body);
    m.put("media_urls", mediaUrls);
    m.put("messaging_service_sid", messagingServiceSid);
    m.put("status_callback", statusCallback);
    m.put("direction", direction);
    m.put("content_sid", contentSid);
    m.put("status", status);
    m.put("error_code", errorCode);
    m.put("error_message", errorMessage);
    m.put("date_created", dateCreated.toString());
    m.put("date_sent", dateSent == null ? null : dateSent.toString());
    m.put("date_updated", dateUpdated.toString());
    return m;
  }

  /** Redaction: Twilio keeps the message and forgets its text. */
  synchronized void redact() {
    body = "";
    dateUpdated = Instant.now();
    events.add(Event.of("redacted"));
  }

  synchronized String body() {
    return body;
  }

  synchronized Instant dateSent() {
    return dateSent;
  }

  /** Moves to a new status unless the message is already final; returns whether it moved. */
  synchronized boolean moveTo(String newStatus, Integer code, String message) {
    if (isFinal(status)) {
      return false;
    }
    status = newStatus;
    errorCode = code;
    errorMessage = message;
    dateUpdated = Instant.now();
    if ("sent".equals(newStatus) || "delivered".equals(newStatus)) {
      if (dateSent == null) {
        dateSent = dateUpdated;
      }
    }
    events.add(
        code == null
            ? Event.of("status", "status", newStatus)
            : Event.of("status", "status", newStatus, "errorCode", code));
    return true;
  }

  static boolean isFinal(String s) {
    return switch (s) {
      case "delivered", "undelivered", "failed", "canceled", "received", "read" -> true;
      default -> false;
    };
  }

  synchronized void record(Event e) {
    events.add(e);
  }

  synchronized String status() {
    return status;
  }

  synchronized Integer errorCode() {
    return errorCode;
  }

  synchronized List<Event> events() {
    return List.copyOf(events);
  }

  int numSegments() {
    if (body == null || body.isEmpty()) {
      return 1;
    }
    boolean gsm = body.chars().allMatch(c -> c < 128);
    int single = gsm ? 160 : 70;
    int multi = gsm ? 153 : 67;
    int len = body.codePointCount(0, body.length());
    return len <= single ? 1 : (len + multi - 1) / multi;
  }

  /** The JSON Twilio returns for a message resource. */
  synchronized Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("account_sid", accountSid);
    m.put("api_version", "2010-04-01");
    m.put("body", body);
    m.put("date_created", Wire.rfc2822(dateCreated));
    m.put("date_sent", Wire.rfc2822(dateSent));
    m.put("date_updated", Wire.rfc2822(dateUpdated));
    m.put("direction", direction);
    m.put("error_code", errorCode);
    m.put("error_message", errorMessage);
    m.put("from", from);
    m.put("messaging_service_sid", messagingServiceSid);
    m.put("num_media", String.valueOf(mediaUrls.size()));
    m.put("num_segments", String.valueOf(numSegments()));
    m.put("price", null);
    m.put("price_unit", "USD");
    m.put("sid", sid);
    m.put("status", status);
    String uri = "/2010-04-01/Accounts/" + accountSid + "/Messages/" + sid;
    Map<String, Object> sub = new LinkedHashMap<>();
    sub.put("media", uri + "/Media.json");
    m.put("subresource_uris", sub);
    m.put("to", to);
    m.put("uri", uri + ".json");
    return m;
  }

  /** JSON for the inspection API: the resource plus its history. */
  Map<String, Object> toInspection() {
    Map<String, Object> m = toJson();
    m.put("status_callback", statusCallback);
    m.put("region", region == null ? org.twiliocrm.twilio.TwilioRegion.DEFAULT : region);
    m.put("events", events().stream().map(Event::toMap).toList());
    return m;
  }
}
