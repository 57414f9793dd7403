package org.twiliocrm.sandbox.twilio;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The part of Twilio's Messaging v1 API ({@code messaging.twilio.com}) a sender set-up needs:
 * Messaging Services (list, fetch, update), their PhoneNumbers, their US A2P campaign
 * (Compliance/Usa2p) and toll-free verifications, shaped as Twilio's OpenAPI describes them.
 *
 * <p>What the sandbox account has, unless changed through the API or the control API:
 *
 * <ul>
 *   <li>its Messaging Services ({@code sandbox.twilio.messaging-services}); the first holds every
 *       owned number in its sender pool and has a VERIFIED US A2P campaign, the others hold none
 *       and have no campaign;
 *   <li>services use the number's own webhook for inbound messages ({@code
 *       use_inbound_webhook_on_number} true), so an SmsUrl update decides where inbound goes; with
 *       it set false, the service's InboundRequestUrl does;
 *   <li>every owned toll-free number has a TWILIO_APPROVED verification.
 * </ul>
 *
 * <p>{@code PUT /sandbox/registrations/{number or MG}} sets a campaign status (VERIFIED,
 * IN_PROGRESS, FAILED, or NONE for no campaign) or a toll-free verification status (PENDING_REVIEW,
 * IN_REVIEW, TWILIO_APPROVED, TWILIO_REJECTED, or NONE).
 */
final class MessagingApi {
  static final String BASE = "https://messaging.twilio.com/v1";
  private static final Pattern TOLL_FREE = Pattern.compile("\\+18(00|33|44|55|66|77|88)\\d{7}");
  private static final Pattern US_LONG_CODE = Pattern.compile("\\+1\\d{10}");
  static final String NONE = "NONE";

  private final TwilioSandboxSettings settings;
  private final SandboxState state;
  private final SenderRegistry senders;
  private final String created = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();

  MessagingApi(TwilioSandboxSettings settings, SandboxState state, SenderRegistry senders) {
    this.settings = settings;
    this.state = state;
    this.senders = senders;
  }

  static boolean isTollFree(String number) {
    return TOLL_FREE.matcher(number).matches();
  }

  static boolean isUsLongCode(String number) {
    return US_LONG_CODE.matcher(number).matches() && !isTollFree(number);
  }

  Object[] route(
      String account,
      String method,
      String path,
      Map<String, List<String>> form,
      Map<String, List<String>> query) {
    String[] seg = path.split("/");
    // ["", "v1", "Services", "{MG}", "PhoneNumbers" | "Compliance", "Usa2p"]
    if (seg.length == 3 && seg[2].equals("Services") && method.equals("GET")) {
      List<Map<String, Object>> all = new ArrayList<>();
      for (String sid : senders.messagingServices()) {
        all.add(service(account, sid));
      }
      return ok(page("services", all, path, query));
    }
    if (seg.length >= 4 && seg[2].equals("Services")) {
      String sid = seg[3];
      if (!senders.ownsService(sid)) {
        throw new ApiError(404, 20404, "The requested resource " + path + " was not found");
      }
      if (seg.length == 4 && method.equals("GET")) {
        return ok(service(account, sid));
      }
      if (seg.length == 4 && method.equals("POST")) {
        return ok(update(account, sid, form));
      }
      if (seg.length == 5 && seg[4].equals("PhoneNumbers") && method.equals("GET")) {
        List<Map<String, Object>> all = new ArrayList<>();
        for (String n : pool(sid)) {
          all.add(poolNumber(account, sid, n));
        }
        return ok(page("phone_numbers", all, path, query));
      }
      if (seg.length == 6
          && seg[4].equals("Compliance")
          && seg[5].equals("Usa2p")
          && method.equals("GET")) {
        String status = campaignStatus(sid);
        List<Map<String, Object>> all =
            status == null ? List.of() : List.of(campaign(account, sid, status));
        return ok(page("compliance", all, path, query));
      }
    }
    if (seg.length == 4
        && seg[2].equals("Tollfree")
        && seg[3].equals("Verifications")
        && method.equals("GET")) {
      String pn = Wire.first(query, "TollfreePhoneNumberSid");
      String wanted = Wire.first(query, "Status");
      List<Map<String, Object>> all = new ArrayList<>();
      for (String n : senders.numbers()) {
        String status = tollfreeStatus(n);
        if (status == null
            || (pn != null && !pn.equals(IncomingNumbers.sid(n)))
            || (wanted != null && !wanted.equals(status))) {
          continue;
        }
        all.add(verification(account, n, status));
      }
      return ok(page("verifications", all, path, query));
    }
    throw ApiError.notEmulated(method, path);
  }

  /** The numbers in a service's sender pool: every owned number is in the first service's. */
  List<String> pool(String serviceSid) {
    List<String> services = senders.messagingServices();
    return !services.isEmpty() && services.get(0).equals(serviceSid)
        ? senders.numbers()
        : List.of();
  }

  /** A service's campaign status, null if it has no campaign. */
  String campaignStatus(String serviceSid) {
    List<String> services = senders.messagingServices();
    String seeded = !services.isEmpty() && services.get(0).equals(serviceSid) ? "VERIFIED" : NONE;
    String s = state.campaignStatus.getOrDefault(serviceSid, seeded);
    return NONE.equals(s) ? null : s;
  }

  /** A number's toll-free verification status, null if it is not toll-free or has none. */
  String tollfreeStatus(String number) {
    if (!isTollFree(number)) {
      return null;
    }
    String s = state.tollfreeStatus.getOrDefault(number, "TWILIO_APPROVED");
    return NONE.equals(s) ? null : s;
  }

  /**
   * Where a handset's message to {@code number} is posted: the number's SmsUrl, or the
   * InboundRequestUrl of its service when that service does not defer to the number.
   */
  String inboundUrl(String number) {
    String own = state.smsWebhooks.getOrDefault(number, settings.inboundWebhookUrl());
    for (String sid : senders.messagingServices()) {
      if (pool(sid).contains(number)) {
        Map<String, Object> svc = state.serviceSettings.getOrDefault(sid, Map.of());
        if (Boolean.FALSE.equals(svc.get("use_inbound_webhook_on_number"))) {
          Object url = svc.getOrDefault("inbound_request_url", settings.inboundWebhookUrl());
          return url == null ? null : url.toString();
        }
      }
    }
    return own;
  }

  /** The control API: a campaign status (MG...) or a toll-free verification status (number). */
  Map<String, Object> register(String target, String status) {
    if (target.startsWith("MG")) {
      if (!senders.ownsService(target)) {
        throw new IllegalArgumentException("not a sandbox Messaging Service: " + target);
      }
      if (!List.of("VERIFIED", "IN_PROGRESS", "FAILED", "PENDING", NONE).contains(status)) {
        throw new IllegalArgumentException(
            "campaign status: VERIFIED, IN_PROGRESS, FAILED, PENDING or NONE");
      }
      state.campaignStatus.put(target, status);
    } else {
      if (!senders.ownsNumber(target) || !isTollFree(target)) {
        throw new IllegalArgumentException("not a toll-free sandbox number: " + target);
      }
      if (!List.of("PENDING_REVIEW", "IN_REVIEW", "TWILIO_APPROVED", "TWILIO_REJECTED", NONE)
          .contains(status)) {
        throw new IllegalArgumentException(
            "verification status: PENDING_REVIEW, IN_REVIEW, TWILIO_APPROVED, TWILIO_REJECTED or NONE");
      }
      state.tollfreeStatus.put(target, status);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("target", target);
    out.put("status", status);
    return out;
  }

  private Map<String, Object> update(String account, String sid, Map<String, List<String>> form) {
    Map<String, Object> svc =
        state.serviceSettings.computeIfAbsent(
            sid, k -> new java.util.concurrent.ConcurrentHashMap<>());
    put(svc, form, "FriendlyName", "friendly_name");
    put(svc, form, "InboundRequestUrl", "inbound_request_url");
    put(svc, form, "InboundMethod", "inbound_method");
    put(svc, form, "FallbackUrl", "fallback_url");
    put(svc, form, "StatusCallback", "status_callback");
    String useNumber = Wire.first(form, "UseInboundWebhookOnNumber");
    if (useNumber != null) {
      svc.put("use_inbound_webhook_on_number", Boolean.parseBoolean(useNumber));
    }
    return service(account, sid);
  }

  private static void put(
      Map<String, Object> svc, Map<String, List<String>> form, String param, String field) {
    String v = Wire.first(form, param);
    if (v != null) {
      svc.put(field, v);
    }
  }

  private Map<String, Object> service(String account, String sid) {
    Map<String, Object> set = state.serviceSettings.getOrDefault(sid, Map.of());
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("sid", sid);
    m.put("account_sid", account);
    m.put(
        "friendly_name", set.getOrDefault("friendly_name", "Sandbox service " + sid.substring(28)));
    m.put("date_created", created);
    m.put("date_updated", created);
    m.put(
        "inbound_request_url",
        blankToNull(set.getOrDefault("inbound_request_url", settings.inboundWebhookUrl())));
    m.put("inbound_method", set.getOrDefault("inbound_method", "POST"));
    m.put("fallback_url", blankToNull(set.get("fallback_url")));
    m.put("fallback_method", "POST");
    m.put("status_callback", blankToNull(set.get("status_callback")));
    m.put("sticky_sender", true);
    m.put("mms_converter", true);
    m.put("smart_encoding", true);
    m.put("scan_message_content", "inherit");
    m.put("fallback_to_long_code", false);
    m.put("area_code_geomatch", true);
    m.put("synchronous_validation", false);
    m.put("validity_period", 14400);
    m.put("url", BASE + "/Services/" + sid);
    Map<String, Object> links = new LinkedHashMap<>();
    links.put("phone_numbers", BASE + "/Services/" + sid + "/PhoneNumbers");
    links.put("us_app_to_person", BASE + "/Services/" + sid + "/Compliance/Usa2p");
    m.put("links", links);
    m.put("usecase", "mixed");
    m.put("us_app_to_person_registered", "VERIFIED".equals(campaignStatus(sid)));
    m.put("use_inbound_webhook_on_number", set.getOrDefault("use_inbound_webhook_on_number", true));
    return m;
  }

  private Map<String, Object> poolNumber(String account, String serviceSid, String n) {
    Map<String, Object> m = new LinkedHashMap<>();
    String sid = IncomingNumbers.sid(n);
    m.put("sid", sid);
    m.put("account_sid", account);
    m.put("service_sid", serviceSid);
    m.put("date_created", created);
    m.put("date_updated", created);
    m.put("phone_number", n);
    m.put("country_code", n.startsWith("+1") ? "US" : "ZZ");
    m.put("capabilities", List.of("SMS", "MMS", "Voice"));
    m.put("url", BASE + "/Services/" + serviceSid + "/PhoneNumbers/" + sid);
    return m;
  }

  private Map<String, Object> campaign(String account, String serviceSid, String status) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("sid", "QE" + serviceSid.substring(2));
    m.put("account_sid", account);
    m.put("brand_registration_sid", "BN" + serviceSid.substring(2));
    m.put("messaging_service_sid", serviceSid);
    m.put("description", "Sandbox campaign");
    m.put("message_samples", List.of("Your appointment is tomorrow at 10:00."));
    m.put("us_app_to_person_usecase", "MIXED");
    m.put("has_embedded_links", false);
    m.put("has_embedded_phone", false);
    m.put("subscriber_opt_in", true);
    m.put("age_gated", false);
    m.put("direct_lending", false);
    m.put("campaign_status", status);
    m.put("campaign_id", "CSANDBX");
    m.put("is_externally_registered", false);
    m.put("rate_limits", Map.of());
    m.put("message_flow", "Customers opt in on the web form.");
    m.put("opt_in_message", null);
    m.put("opt_out_message", null);
    m.put("help_message", null);
    m.put("opt_in_keywords", List.of("START"));
    m.put("opt_out_keywords", List.of("STOP"));
    m.put("help_keywords", List.of("HELP"));
    m.put("date_created", created);
    m.put("date_updated", created);
    m.put("url", BASE + "/Services/" + serviceSid + "/Compliance/Usa2p/" + m.get("sid"));
    m.put("mock", true);
    m.put("errors", List.of());
    return m;
  }

  private Map<String, Object> verification(String account, String n, String status) {
    Map<String, Object> m = new LinkedHashMap<>();
    String sid = "HH" + IncomingNumbers.sid(n).substring(2);
    m.put("sid", sid);
    m.put("account_sid", account);
    m.put("date_created", created);
    m.put("date_updated", created);
    m.put("business_name", "Sandbox business");
    m.put("use_case_summary", "Appointment reminders");
    m.put("production_message_sample", "Your appointment is tomorrow at 10:00.");
    m.put("message_volume", "1,000");
    m.put("tollfree_phone_number_sid", IncomingNumbers.sid(n));
    m.put("tollfree_phone_number", n);
    m.put("status", status);
    m.put("url", BASE + "/Tollfree/Verifications/" + sid);
    m.put("rejection_reason", "TWILIO_REJECTED".equals(status) ? "Sandbox: rejected" : null);
    m.put("error_code", "TWILIO_REJECTED".equals(status) ? 30509 : null);
    m.put("edit_allowed", "TWILIO_REJECTED".equals(status));
    return m;
  }

  private static Object blankToNull(Object v) {
    return v == null || v.toString().isBlank() ? null : v;
  }

  private static Map<String, Object> page(
      String key, List<Map<String, Object>> items, String path, Map<String, List<String>> query) {
    int size;
    try {
      size = Math.max(1, Math.min(1000, Integer.parseInt(Wire.firstOr(query, "PageSize", "50"))));
    } catch (NumberFormatException e) {
      size = 50;
    }
    Map<String, Object> meta = new LinkedHashMap<>();
    String url = "https://messaging.twilio.com" + path + "?PageSize=" + size + "&Page=0";
    meta.put("first_page_url", url);
    meta.put("key", key);
    meta.put("next_page_url", null);
    meta.put("page", 0);
    meta.put("page_size", size);
    meta.put("previous_page_url", null);
    meta.put("url", url);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put(key, items.size() > size ? items.subList(0, size) : items);
    out.put("meta", meta);
    return out;
  }

  private static Object[] ok(Object body) {
    return new Object[] {200, body};
  }
}
