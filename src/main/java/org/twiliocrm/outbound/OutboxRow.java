package org.twiliocrm.outbound;

import java.time.Instant;

/**
 * One claimed outbox row as the producer wrote it, plus the claim's view of its state.
 *
 * @param claimedAs SENDING for a fresh or retried row, RECONCILING for one whose earlier send may
 *     have reached Twilio (an ambiguous outcome, or a lease that expired mid-send)
 * @param attempts send attempts so far, including the one this claim is for when SENDING
 * @param leaseOwner the instance holding the lease; results are written only while it holds it
 * @param claimedAt when this claim took the row (database clock)
 * @param locale the template locale variant the producer asked for; null: the default
 */
public record OutboxRow(
    long id,
    String idempotencyKey,
    Channel channel,
    String recipient,
    String sender,
    String messagingServiceSid,
    String body,
    String templateName,
    String templateVariables,
    String contentSid,
    String contentVariables,
    String mediaUrls,
    String claimedAs,
    int attempts,
    String leaseOwner,
    Instant createdAt,
    Instant claimedAt,
    String locale) {

  /** A row without a locale (the template's default locale applies). */
  public OutboxRow(
      long id,
      String idempotencyKey,
      Channel channel,
      String recipient,
      String sender,
      String messagingServiceSid,
      String body,
      String templateName,
      String templateVariables,
      String contentSid,
      String contentVariables,
      String mediaUrls,
      String claimedAs,
      int attempts,
      String leaseOwner,
      Instant createdAt,
      Instant claimedAt) {
    this(
        id,
        idempotencyKey,
        channel,
        recipient,
        sender,
        messagingServiceSid,
        body,
        templateName,
        templateVariables,
        contentSid,
        contentVariables,
        mediaUrls,
        claimedAs,
        attempts,
        leaseOwner,
        createdAt,
        claimedAt,
        null);
  }

  public boolean reconciling() {
    return "RECONCILING".equals(claimedAs);
  }
}
