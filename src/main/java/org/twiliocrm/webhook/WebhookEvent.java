package org.twiliocrm.webhook;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One accepted webhook request, as it is stored in {@code webhook_event}.
 *
 * @param kind message-status, inbound or call-status
 * @param dedupeKey unique per logical callback (see V20__webhooks.sql)
 * @param params the form parameters (or the top-level JSON fields)
 * @param payload what is stored: the form re-encoded in sorted order, or the raw JSON
 */
public record WebhookEvent(
    String kind,
    String dedupeKey,
    String sid,
    String status,
    String accountSid,
    String idempotencyToken,
    Map<String, List<String>> params,
    String payload,
    Instant receivedAt) {

  public String param(String name) {
    List<String> v = params.get(name);
    return v == null || v.isEmpty() ? null : v.get(0);
  }
}
