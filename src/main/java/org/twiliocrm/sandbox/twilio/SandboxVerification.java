package org.twiliocrm.sandbox.twilio;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A Verify v2 verification: a code sent to a handset and the checks against it. */
final class SandboxVerification {
  final String sid;
  final String serviceSid;
  final String accountSid;
  final String to;
  final String code;
  final Instant dateCreated = Instant.now();
  final Instant expiresAt;

  private String channel;
  private String status = "pending";
  private int wrongChecks;
  private Instant dateUpdated = dateCreated;
  private final List<Map<String, Object>> sendAttempts = new ArrayList<>();
  private final List<Event> events = new ArrayList<>();

  SandboxVerification(
      String sid,
      String serviceSid,
      String accountSid,
      String to,
      String channel,
      String code,
      Instant expiresAt) {
    this.sid = sid;
    this.serviceSid = serviceSid;
    this.accountSid = accountSid;
    this.to = to;
    this.channel = channel;
    this.code = code;
    this.expiresAt = expiresAt;
    events.add(Event.of("status", "status", status));
  }

  synchronized void sent(String channel) {
    this.channel = channel;
    Map<String, Object> a = new LinkedHashMap<>();
    a.put("attempt_sid", Wire.sid("VL"));
    a.put("channel", channel);
    a.put("time", Wire.iso(Instant.now()));
    sendAttempts.add(a);
    dateUpdated = Instant.now();
    events.add(Event.of("send", "channel", channel));
  }

  synchronized int sends() {
    return sendAttempts.size();
  }

  synchronized String status() {
    return status;
  }

  synchronized boolean usable(Instant now) {
    return "pending".equals(status) && now.isBefore(expiresAt);
  }

  synchronized void wrong() {
    wrongChecks++;
    dateUpdated = Instant.now();
    events.add(Event.of("check", "result", "wrong code"));
  }

  synchronized int wrongChecks() {
    return wrongChecks;
  }

  synchronized void moveTo(String newStatus) {
    status = newStatus;
    dateUpdated = Instant.now();
    events.add(Event.of("status", "status", newStatus));
  }

  synchronized String channel() {
    return channel;
  }

  /**
   * The fields a Verification and a VerificationCheck answer both start with, in Twilio's order.
   */
  private Map<String, Object> head() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("sid", sid);
    m.put("service_sid", serviceSid);
    m.put("account_sid", accountSid);
    m.put("to", to);
    m.put("channel", channel);
    m.put("status", status);
    m.put("valid", "approved".equals(status));
    return m;
  }

  /** The JSON of the Verification resource. */
  synchronized Map<String, Object> toJson() {
    Map<String, Object> m = head();
    Map<String, Object> carrier = new LinkedHashMap<>();
    carrier.put("error_code", null);
    carrier.put("name", "Sandbox Mobile");
    carrier.put("mobile_country_code", "310");
    carrier.put("mobile_network_code", "000");
    carrier.put("type", "mobile");
    m.put("lookup", Map.of("carrier", carrier));
    m.put("amount", null);
    m.put("payee", null);
    m.put("send_code_attempts", List.copyOf(sendAttempts));
    m.put("date_created", Wire.iso(dateCreated));
    m.put("date_updated", Wire.iso(dateUpdated));
    m.put("sna", null);
    m.put("url", "https://verify.twilio.com/v2/Services/" + serviceSid + "/Verifications/" + sid);
    return m;
  }

  /** The JSON of a VerificationCheck answer. */
  synchronized Map<String, Object> toCheckJson() {
    Map<String, Object> m = head();
    m.put("amount", null);
    m.put("payee", null);
    m.put("date_created", Wire.iso(dateCreated));
    m.put("date_updated", Wire.iso(dateUpdated));
    m.put("sna_attempts_error_codes", List.of());
    return m;
  }

  synchronized Map<String, Object> toInspection() {
    Map<String, Object> m = toJson();
    m.put("code", code); // a sandbox may show the code: it is what the handset received
    m.put("wrongChecks", wrongChecks);
    m.put("expiresAt", expiresAt.toString());
    m.put("events", events.stream().map(Event::toMap).toList());
    return m;
  }
}
