package org.twiliocrm.sandbox.twilio;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code /2010-04-01/Accounts/{Sid}/IncomingPhoneNumbers}: the numbers the sandbox account owns
 * ({@code sandbox.twilio.numbers}) with their SMS webhook (the per-number URL set through an update
 * or the control API, else {@code sandbox.twilio.inbound-webhook-url}), listed, fetched and updated
 * as against Twilio, so that preflight and the {@code senders} command check and fix them. An
 * update of SmsUrl changes where a handset's message to that number is posted.
 */
final class IncomingNumbers {
  private final TwilioSandboxSettings settings;
  private final SandboxState state;
  private final SenderRegistry senders;

  IncomingNumbers(TwilioSandboxSettings settings, SandboxState state, SenderRegistry senders) {
    this.settings = settings;
    this.state = state;
    this.senders = senders;
  }

  Map<String, Object> list(String accountSid, Map<String, List<String>> q, String path) {
    String filter = Wire.first(q, "PhoneNumber");
    int pageSize = Math.max(1, Math.min(1000, Integer.parseInt(Wire.firstOr(q, "PageSize", "50"))));
    List<Map<String, Object>> page = new ArrayList<>();
    for (String n : senders.numbers()) {
      if (filter != null && !SandboxState.bare(filter).equals(n)) {
        continue;
      }
      if (page.size() < pageSize) {
        page.add(number(accountSid, n));
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("end", Math.max(0, page.size() - 1));
    out.put("first_page_uri", path + "?PageSize=" + pageSize + "&Page=0");
    out.put("incoming_phone_numbers", page);
    out.put("next_page_uri", null);
    out.put("page", 0);
    out.put("page_size", pageSize);
    out.put("previous_page_uri", null);
    out.put("start", 0);
    out.put("uri", path + "?PageSize=" + pageSize + "&Page=0");
    return out;
  }

  /** {@code GET .../IncomingPhoneNumbers/{Sid}.json}. */
  Map<String, Object> fetch(String accountSid, String sid) {
    return number(accountSid, owned(sid));
  }

  /**
   * {@code POST .../IncomingPhoneNumbers/{Sid}.json}: SmsUrl and StatusCallback are kept (an empty
   * value clears them); the other fields Twilio's OpenAPI allows are accepted and not emulated.
   */
  Map<String, Object> update(String accountSid, String sid, Map<String, List<String>> form) {
    String n = owned(sid);
    String smsUrl = Wire.first(form, "SmsUrl");
    if (smsUrl != null) {
      state.smsWebhooks.put(n, smsUrl);
    }
    String statusCallback = Wire.first(form, "StatusCallback");
    if (statusCallback != null) {
      state.numberStatusCallbacks.put(n, statusCallback);
    }
    return number(accountSid, n);
  }

  private String owned(String sid) {
    for (String n : senders.numbers()) {
      if (sid(n).equals(sid)) {
        return n;
      }
    }
    throw new ApiError(
        404, 20404, "The requested resource /IncomingPhoneNumbers/" + sid + ".json was not found");
  }

  /** The number's PN SID: stable, derived from the number. */
  static String sid(String number) {
    return "PN" + hex32(number);
  }

  private Map<String, Object> number(String accountSid, String n) {
    String sid = sid(n);
    Map<String, Object> caps = new LinkedHashMap<>();
    caps.put("fax", false);
    caps.put("mms", true);
    caps.put("sms", true);
    caps.put("voice", true);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("account_sid", accountSid);
    m.put("address_requirements", "none");
    m.put("api_version", "2010-04-01");
    m.put("beta", false);
    m.put("capabilities", caps);
    m.put("friendly_name", n);
    m.put("phone_number", n);
    m.put("sid", sid);
    m.put("sms_method", "POST");
    m.put("sms_url", state.smsWebhooks.getOrDefault(n, settings.inboundWebhookUrl()));
    m.put("status", "in-use");
    m.put("status_callback", state.numberStatusCallbacks.getOrDefault(n, ""));
    m.put("status_callback_method", "POST");
    m.put("voice_method", "POST");
    m.put("voice_url", "");
    m.put("uri", "/2010-04-01/Accounts/" + accountSid + "/IncomingPhoneNumbers/" + sid + ".json");
    return m;
  }

  private static String hex32(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d).substring(0, 32);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
