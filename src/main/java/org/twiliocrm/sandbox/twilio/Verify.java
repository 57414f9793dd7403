package org.twiliocrm.sandbox.twilio;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Verify v2: start a verification (the code goes to the handset's inbox), check it. An approved,
 * canceled or expired verification is gone (404); too many wrong checks give 60202, too many sends
 * 60203.
 */
final class Verify {
  private static final Pattern SERVICE = Pattern.compile("VA[0-9a-fA-F]{32}");
  private static final Set<String> CHANNELS = Set.of("sms", "call", "whatsapp", "email");
  private final TwilioSandboxSettings settings;
  private final SandboxState state;
  private final SecureRandom random = new SecureRandom();

  Verify(TwilioSandboxSettings settings, SandboxState state) {
    this.settings = settings;
    this.state = state;
  }

  Map<String, Object> start(String account, String service, Map<String, List<String>> p) {
    checkService(service);
    String to = Messages.one(p, "To");
    String channel = Messages.one(p, "Channel");
    if (to == null || to.isEmpty()) {
      throw ApiError.badRequest(60200, "Invalid parameter: To");
    }
    if (channel == null || !CHANNELS.contains(channel)) {
      throw ApiError.badRequest(60200, "Invalid parameter: Channel");
    }
    if (!"email".equals(channel) && !Messages.E164.matcher(to).matches()) {
      throw ApiError.badRequest(60200, "Invalid parameter `To`: " + Wire.mask(to));
    }
    Instant now = Instant.now();
    SandboxVerification v = pending(account, service, to, now);
    if (v == null) {
      v =
          new SandboxVerification(
              Wire.sid("VE"),
              service,
              account,
              to,
              channel,
              code(),
              now.plusSeconds(settings.verifyTtlSeconds()));
      state.verifications.put(v.sid, v);
    } else if (v.sends() >= settings.verifyMaxSends()) {
      throw new ApiError(429, 60203, "Max send attempts reached");
    }
    v.sent(channel);
    Map<String, Object> entry = new LinkedHashMap<>();
    entry.put("sid", v.sid);
    entry.put("from", "Verify");
    entry.put("to", to);
    entry.put("body", "Your verification code is: " + v.code);
    entry.put("channel", channel);
    entry.put("kind", "verification");
    entry.put("code", v.code);
    entry.put("at", now.toString());
    state.deliverToInbox(to, entry);
    return v.toJson();
  }

  Map<String, Object> fetch(String account, String service, String sid) {
    checkService(service);
    return usable(account, service, state.verifications.get(sid), sid).toJson();
  }

  /** Status=canceled or approved, as the Verification update operation allows. */
  Map<String, Object> update(
      String account, String service, String sid, Map<String, List<String>> p) {
    checkService(service);
    SandboxVerification v = usable(account, service, state.verifications.get(sid), sid);
    String status = Messages.one(p, "Status");
    if (!"canceled".equals(status) && !"approved".equals(status)) {
      throw ApiError.badRequest(60200, "Invalid parameter: Status");
    }
    v.moveTo(status);
    return v.toJson();
  }

  Map<String, Object> check(String account, String service, Map<String, List<String>> p) {
    checkService(service);
    String code = Messages.one(p, "Code");
    String to = Messages.one(p, "To");
    String sid = Messages.one(p, "VerificationSid");
    if (code == null || code.isEmpty()) {
      throw ApiError.badRequest(60200, "Invalid parameter: Code");
    }
    if ((to == null) == (sid == null)) {
      throw ApiError.badRequest(
          60200, "Either a 'To' or a 'VerificationSid' parameter is required");
    }
    Instant now = Instant.now();
    SandboxVerification v =
        sid != null
            ? usable(account, service, state.verifications.get(sid), sid)
            : pending(account, service, to, now);
    if (v == null) {
      throw ApiError.notFound("/v2/Services/" + service + "/VerificationCheck");
    }
    synchronized (v) {
      if (v.wrongChecks() >= settings.verifyMaxChecks()) {
        throw new ApiError(429, 60202, "Max check attempts reached");
      }
      if (v.code.equals(code)) {
        v.moveTo("approved");
      } else {
        v.wrong();
      }
      return v.toCheckJson();
    }
  }

  void reset() {
    // state.verifications is cleared by SandboxState.reset()
  }

  private SandboxVerification usable(
      String account, String service, SandboxVerification v, String sid) {
    if (v == null
        || !v.accountSid.equals(account)
        || !v.serviceSid.equals(service)
        || !v.usable(Instant.now())) {
      throw ApiError.notFound("/v2/Services/" + service + "/Verifications/" + sid);
    }
    return v;
  }

  private SandboxVerification pending(String account, String service, String to, Instant now) {
    for (SandboxVerification v : state.verifications.values()) {
      if (v.accountSid.equals(account)
          && v.serviceSid.equals(service)
          && v.to.equals(to)
          && v.usable(now)) {
        return v;
      }
    }
    return null;
  }

  private static void checkService(String service) {
    if (!SERVICE.matcher(service).matches()) {
      throw ApiError.notFound("/v2/Services/" + service);
    }
  }

  private String code() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < settings.verifyCodeLength(); i++) {
      sb.append(random.nextInt(10));
    }
    return sb.toString();
  }
}
