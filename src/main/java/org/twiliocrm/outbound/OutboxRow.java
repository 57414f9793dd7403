package org.twiliocrm.outbound;

import java.time.Instant;
import org.twiliocrm.governance.Channel;

/**
 * One claimed outbox row as the producer wrote it, plus the claim's view of its state.
 *
 * @param claimedAs SENDING for a fresh or retried row, RECONCILING for one whose earlier send may
 *     have reached Twilio (an ambiguous outcome, or a lease that expired mid-send)
 * @param attempts send attempts so far, including the one this claim is for when SENDING
 * @param leaseOwner the instance holding the lease; results are written only while it holds it
 * @param claimedAt when this claim took the row (database clock)
 * @param locale the template locale variant the producer asked for; null: the default
 * @param gov what the governance gate reads: campaign, requester, source, approval state
 * @param fallbackChain the row's own channel fallback chain (column fallback_chain), unchecked;
 *     null: none, or the template's
 * @param paceSlotUs the send slot sender pacing booked for this row (microseconds since the epoch,
 *     database clock), null when none is booked (docs/outbox.md#sender-pacing)
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
    String locale,
    Gov gov,
    String fallbackChain,
    Long paceSlotUs) {

  /**
   * The columns the policy gate reads (see docs/governance.md).
   *
   * @param campaign the producer's campaign key (bulk rules count by it; held rows group by it)
   * @param requestedBy the producer's or user's identity that asked for the send (four eyes)
   * @param crmObject set by the CRM events flow: the row's source is then "crm", else "table"
   * @param approvalId the approval request that holds or released the row
   * @param holdDigest digest of the content when it was held (an edit after the hold re-holds it)
   * @param purpose the producer's purpose (the recipient checks' consent, quiet hours and caps);
   *     null: the policy's default
   */
  public record Gov(
      String campaign,
      String requestedBy,
      String crmObject,
      Long approvalId,
      String holdDigest,
      String purpose) {
    public static final Gov NONE = new Gov(null, null, null, null, null, null);
  }

  public boolean reconciling() {
    return "RECONCILING".equals(claimedAs);
  }
}
