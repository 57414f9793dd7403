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
  final String body;
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
    m.put("events", events().stream().map(Event::toMap).toList());
    return m;
  }
}
