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
    Instant claimedAt) {

  public boolean reconciling() {
    return "RECONCILING".equals(claimedAs);
  }
}
