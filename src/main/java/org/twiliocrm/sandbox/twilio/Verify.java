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
    String to = Wire.first(p, "To");
    String channel = Wire.first(p, "Channel");
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
              code(service),
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
    String status = Wire.first(p, "Status");
    if (!"canceled".equals(status) && !"approved".equals(status)) {
      throw ApiError.badRequest(60200, "Invalid parameter: Status");
    }
    v.moveTo(status);
    return v.toJson();
  }

  Map<String, Object> check(String account, String service, Map<String, List<String>> p) {
    checkService(service);
    String code = Wire.first(p, "Code");
    String to = Wire.first(p, "To");
    String sid = Wire.first(p, "VerificationSid");
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

  private void checkService(String service) {
    if (!SERVICE.matcher(service).matches()
        || !(settings.verifyServices().contains(service)
            || state.verifyServices.containsKey(service))) {
      throw ApiError.notFound("/v2/Services/" + service);
    }
  }

  // ---- Services (POST/GET /v2/Services, GET/POST/DELETE /v2/Services/{Sid})

  Map<String, Object> createService(String account, Map<String, List<String>> p) {
    String name = Wire.first(p, "FriendlyName");
    if (name == null || name.isBlank()) {
      throw ApiError.badRequest(20001, "Missing required parameter FriendlyName in the post body");
    }
    Map<String, Object> s = new LinkedHashMap<>();
    String sid = Wire.sid("VA");
    Instant now = Instant.now();
    s.put("sid", sid);
    s.put("account_sid", account);
    s.put("friendly_name", name);
    s.put("code_length", settings.verifyCodeLength());
    s.put("lookup_enabled", false);
    s.put("psd2_enabled", false);
    s.put("skip_sms_to_landlines", false);
    s.put("dtmf_input_required", false);
    s.put("tts_name", null);
    s.put("do_not_share_warning_enabled", false);
    s.put("custom_code_enabled", false);
    s.put("push", Map.of());
    s.put("totp", Map.of());
    s.put("default_template_sid", null);
    s.put("whatsapp", Map.of());
    s.put("verify_event_subscription_enabled", false);
    s.put("date_created", Wire.iso(now));
    s.put("date_updated", Wire.iso(now));
    s.put("url", "https://verify.twilio.com/v2/Services/" + sid);
    s.put(
        "links",
        Map.of(
            "verifications",
            "https://verify.twilio.com/v2/Services/" + sid + "/Verifications",
            "verification_checks",
            "https://verify.twilio.com/v2/Services/" + sid + "/VerificationCheck"));
    updateService(s, p);
    state.verifyServices.put(sid, s);
    return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(s));
  }

  Map<String, Object> fetchService(String account, String sid) {
    return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(service(account, sid)));
  }

  Map<String, Object> updateService(String account, String sid, Map<String, List<String>> p) {
    Map<String, Object> s = service(account, sid);
    synchronized (s) {
      updateService(s, p);
      s.put("date_updated", Wire.iso(Instant.now()));
      return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(s));
    }
  }

  void deleteService(String account, String sid) {
    service(account, sid);
    state.verifyServices.remove(sid);
    state.verifications.values().removeIf(v -> v.serviceSid.equals(sid));
  }

  Map<String, Object> listServices(String account, Map<String, List<String>> q) {
    List<Map<String, Object>> all = new java.util.ArrayList<>();
    for (String sid : settings.verifyServices()) {
      all.add(configured(account, sid));
    }
    state.verifyServices.values().stream()
        .filter(s -> account.equals(s.get("account_sid")))
        .sorted(java.util.Comparator.comparing(s -> (String) s.get("date_created")))
        .forEach(s -> all.add(java.util.Collections.unmodifiableMap(new LinkedHashMap<>(s))));
    int pageSize = 50;
    String ps = Wire.first(q, "PageSize");
    if (ps != null && ps.matches("\\d{1,4}")) {
      pageSize = Math.max(1, Math.min(1000, Integer.parseInt(ps)));
    }
    int page = 0;
    String pg = Wire.first(q, "Page");
    if (pg != null && pg.matches("\\d{1,6}")) {
      page = Integer.parseInt(pg);
    }
    int from = Math.min(all.size(), page * pageSize);
    int to = Math.min(all.size(), from + pageSize);
    String base = "https://verify.twilio.com/v2/Services?PageSize=" + pageSize;
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("page", page);
    meta.put("page_size", pageSize);
    meta.put("first_page_url", base + "&Page=0");
    meta.put("previous_page_url", page > 0 ? base + "&Page=" + (page - 1) : null);
    meta.put("url", base + "&Page=" + page);
    meta.put("next_page_url", to < all.size() ? base + "&Page=" + (page + 1) : null);
    meta.put("key", "services");
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("services", all.subList(from, to));
    out.put("meta", meta);
    return out;
  }

  private Map<String, Object> service(String account, String sid) {
    Map<String, Object> s = state.verifyServices.get(sid);
    if (s != null && account.equals(s.get("account_sid"))) {
      return s;
    }
    if (settings.verifyServices().contains(sid)) {
      // Configured services are not stored: they come back after a reset.
      Map<String, Object> c = new LinkedHashMap<>(configured(account, sid));
      state.verifyServices.put(sid, c);
      return c;
    }
    throw ApiError.notFound("/v2/Services/" + sid);
  }

  private Map<String, Object> configured(String account, String sid) {
    Map<String, Object> stored = state.verifyServices.get(sid);
    if (stored != null) {
      return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(stored));
    }
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("sid", sid);
    s.put("account_sid", account);
    s.put("friendly_name", "Sandbox Verify service");
    s.put("code_length", settings.verifyCodeLength());
    s.put("url", "https://verify.twilio.com/v2/Services/" + sid);
    return s;
  }

  private static void updateService(Map<String, Object> s, Map<String, List<String>> p) {
    String name = Wire.first(p, "FriendlyName");
    if (name != null && !name.isBlank()) {
      s.put("friendly_name", name);
    }
    String len = Wire.first(p, "CodeLength");
    if (len != null && !len.isEmpty()) {
      if (!len.matches("[4-9]|10")) {
        throw ApiError.badRequest(60200, "Invalid parameter: CodeLength");
      }
      s.put("code_length", Integer.parseInt(len));
    }
  }

  /** A code of the service's code_length (4-10, set on create or update), as Twilio sends. */
  private String code(String service) {
    int length = settings.verifyCodeLength();
    Map<String, Object> s = state.verifyServices.get(service);
    if (s != null && s.get("code_length") instanceof Number n) {
      length = n.intValue();
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < length; i++) {
      sb.append(random.nextInt(10));
    }
    return sb.toString();
  }
}
