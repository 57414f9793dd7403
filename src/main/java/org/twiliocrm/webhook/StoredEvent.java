package org.twiliocrm.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A webhook event as the stored-event route sees it: claimed from {@code webhook_event}, its
 * payload decoded back into Twilio's parameters.
 */
public record StoredEvent(
    long id, String kind, String sid, String status, Map<String, List<String>> params) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A parameter's first value, or null when absent or empty. */
  public String p(String name) {
    List<String> v = params.get(name);
    return v == null || v.isEmpty() || v.get(0).isEmpty() ? null : v.get(0);
  }

  /** A parameter as an integer, or null when absent or not a number (Twilio sends text). */
  public Integer integer(String name) {
    String s = p(name);
    if (s == null || s.isBlank()) {
      return null;
    }
    try {
      return Integer.valueOf(s.trim());
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** The channel a number implies: WhatsApp numbers carry the {@code whatsapp:} prefix. */
  public static String channelOf(String from) {
    return from != null && from.startsWith("whatsapp:") ? "whatsapp" : "sms";
  }

  /** The stored payload: a form body, or a JSON object (the sandbox's and some tests' form). */
  static Map<String, List<String>> params(String payload) {
    if (payload != null && payload.startsWith("{")) {
      Map<String, List<String>> out = new TreeMap<>();
      try {
        JsonNode node = JSON.readTree(payload);
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          out.put(
              e.getKey(),
              List.of(e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString()));
        }
      } catch (Exception e) {
        throw new IllegalStateException("stored JSON payload does not parse", e);
      }
      return out;
    }
    return WebhookGate.decodeForm(payload);
  }
}
